//! The OVSDB schemas the harness can serve.

use std::path::Path;

/// An installed OVSDB schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schema {
    /// `Open_vSwitch` (the local switch database).
    Vswitch,
    /// `OVN_Northbound`.
    OvnNb,
    /// `OVN_Southbound`.
    OvnSb,
    /// `OVN_IC_Northbound`.
    IcNb,
    /// `OVN_IC_Southbound`.
    IcSb,
}

impl Schema {
    /// Path of the `.ovsschema` file as Debian installs it.
    pub fn path(self) -> &'static Path {
        Path::new(match self {
            Schema::Vswitch => "/usr/share/openvswitch/vswitch.ovsschema",
            Schema::OvnNb => "/usr/share/ovn/ovn-nb.ovsschema",
            Schema::OvnSb => "/usr/share/ovn/ovn-sb.ovsschema",
            Schema::IcNb => "/usr/share/ovn/ovn-ic-nb.ovsschema",
            Schema::IcSb => "/usr/share/ovn/ovn-ic-sb.ovsschema",
        })
    }

    /// The database name inside the schema (what `cluster/status` and clients use).
    pub fn db_name(self) -> &'static str {
        match self {
            Schema::Vswitch => "Open_vSwitch",
            Schema::OvnNb => "OVN_Northbound",
            Schema::OvnSb => "OVN_Southbound",
            Schema::IcNb => "OVN_IC_Northbound",
            Schema::IcSb => "OVN_IC_Southbound",
        }
    }

    /// Debian package shipping the schema.
    pub fn package(self) -> &'static str {
        match self {
            Schema::Vswitch => "openvswitch-switch",
            Schema::OvnNb | Schema::OvnSb => "ovn-central",
            Schema::IcNb | Schema::IcSb => "ovn-ic-db",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_files_are_installed_and_name_their_database() {
        for s in [
            Schema::Vswitch,
            Schema::OvnNb,
            Schema::OvnSb,
            Schema::IcNb,
            Schema::IcSb,
        ] {
            let text = std::fs::read_to_string(s.path()).unwrap_or_else(|e| {
                panic!("{}: {e}; run scripts/install-deps.sh", s.path().display())
            });
            assert!(
                text.contains(&format!("\"name\": \"{}\"", s.db_name())),
                "{s:?}"
            );
        }
    }
}
