//! The command line of the daemon, as `ovn-controller` accepts it.
//!
//! OVS daemons take GNU-style options with optional values (`--pidfile` or `--pidfile=F`) and
//! the `-v`/`--verbose` module specs (`-vconsole:off`, `-vfile:info`), which clap cannot express
//! without breaking the drop-in promise, so this is a small hand-written parser. Everything
//! here is pure: environment lookups are passed in.

use std::path::PathBuf;

/// Errors in the daemon's command line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgsError {
    /// An option this agent does not know.
    #[error("unrecognized option '{0}'")]
    Unknown(String),
    /// An option that needs a value was given none.
    #[error("option '{0}' requires an argument")]
    MissingValue(String),
    /// An option that takes no value was given one.
    #[error("option '{0}' doesn't allow an argument")]
    UnexpectedValue(String),
    /// More than one positional argument.
    #[error("exactly zero or one non-option argument required; use --help for usage")]
    TooManyArguments,
}

/// Where the OVS and OVN run/log directories are (from `OVS_RUNDIR`, `OVN_RUNDIR`,
/// `OVN_LOGDIR`), with upstream's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// `$OVS_RUNDIR` (default `/var/run/openvswitch`): `db.sock` and `<bridge>.mgmt` live here.
    pub ovs_rundir: PathBuf,
    /// `$OVN_RUNDIR` (default `/var/run/ovn`): pidfile, control socket and CNI socket.
    pub ovn_rundir: PathBuf,
    /// `$OVN_LOGDIR` (default `/var/log/ovn`).
    pub ovn_logdir: PathBuf,
}

impl Dirs {
    /// Reads the directories with `env` (normally `std::env::var`).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Self {
        let dir = |k: &str, d: &str| {
            PathBuf::from(
                env(k)
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| d.to_owned()),
            )
        };
        Self {
            ovs_rundir: dir("OVS_RUNDIR", "/var/run/openvswitch"),
            ovn_rundir: dir("OVN_RUNDIR", "/var/run/ovn"),
            ovn_logdir: dir("OVN_LOGDIR", "/var/log/ovn"),
        }
    }
}

/// The parsed daemon command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonArgs {
    /// The local Open_vSwitch database remote (default `unix:$OVS_RUNDIR/db.sock`).
    pub ovs_remote: String,
    /// `--pidfile[=F]` (default file `$OVN_RUNDIR/ovn-controller.pid`).
    pub pidfile: Option<PathBuf>,
    /// `--overwrite-pidfile`.
    pub overwrite_pidfile: bool,
    /// `--log-file[=F]` (default file `$OVN_LOGDIR/ovn-controller.log`).
    pub log_file: Option<PathBuf>,
    /// `--detach`.
    pub detach: bool,
    /// `--no-chdir` (accepted; the agent never changes directory).
    pub no_chdir: bool,
    /// `--monitor` (accepted; restarting after a crash is the supervisor's job).
    pub monitor: bool,
    /// `--unixctl=F` (default `$OVN_RUNDIR/ovn-controller.<pid>.ctl`, decided at run time).
    pub unixctl: Option<PathBuf>,
    /// `--cni-socket=PATH` (default `$OVN_RUNDIR/ovn-agent-cni.sock`).
    pub cni_socket: PathBuf,
    /// `-v`/`--verbose` specs, kept for the log setup (`console:off`, `dbg`, …).
    pub verbose: Vec<String>,
    /// `-h`/`--help`.
    pub help: bool,
    /// `-V`/`--version`.
    pub version: bool,
    /// The directories the defaults came from.
    pub dirs: Dirs,
}

/// How an option takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arity {
    None,
    Optional,
    Required,
}

const OPTIONS: &[(&str, Arity)] = &[
    ("pidfile", Arity::Optional),
    ("overwrite-pidfile", Arity::None),
    ("log-file", Arity::Optional),
    ("detach", Arity::None),
    ("no-chdir", Arity::None),
    ("monitor", Arity::None),
    ("unixctl", Arity::Required),
    ("cni-socket", Arity::Required),
    ("verbose", Arity::Optional),
    ("help", Arity::None),
    ("version", Arity::None),
    // Accepted for compatibility with ovn-controller's command line; they change nothing here.
    ("syslog-method", Arity::Required),
    ("syslog-target", Arity::Required),
    ("user", Arity::Required),
    ("enable-dummy-vif-plug", Arity::None),
    ("no-self-confinement", Arity::None),
];

impl DaemonArgs {
    /// Parses the arguments after the program name.
    pub fn parse<I, S>(args: I, dirs: Dirs) -> Result<Self, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut out = Self {
            ovs_remote: format!("unix:{}", dirs.ovs_rundir.join("db.sock").display()),
            pidfile: None,
            overwrite_pidfile: false,
            log_file: None,
            detach: false,
            no_chdir: false,
            monitor: false,
            unixctl: None,
            cni_socket: dirs.ovn_rundir.join("ovn-agent-cni.sock"),
            verbose: Vec::new(),
            help: false,
            version: false,
            dirs,
        };
        let mut positional: Vec<String> = Vec::new();
        let mut it = args.into_iter().map(Into::into).peekable();
        while let Some(arg) = it.next() {
            if arg == "--" {
                positional.extend(it.by_ref());
                break;
            }
            if let Some(long) = arg.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (long, None),
                };
                let &(name, arity) = OPTIONS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .ok_or_else(|| ArgsError::Unknown(arg.clone()))?;
                let value = match (arity, value) {
                    (Arity::None, Some(_)) => {
                        return Err(ArgsError::UnexpectedValue(format!("--{name}")));
                    }
                    (Arity::Required, None) => Some(
                        it.next()
                            .ok_or_else(|| ArgsError::MissingValue(format!("--{name}")))?,
                    ),
                    (_, v) => v,
                };
                out.apply(name, value);
            } else if let Some(short) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
                match short.chars().next() {
                    Some('v') => out.verbose.push(short[1..].to_owned()),
                    Some('h') if short.len() == 1 => out.help = true,
                    Some('V') if short.len() == 1 => out.version = true,
                    _ => return Err(ArgsError::Unknown(arg.clone())),
                }
            } else {
                positional.push(arg);
            }
        }
        match positional.len() {
            0 => {}
            1 => out.ovs_remote = positional.remove(0),
            _ => return Err(ArgsError::TooManyArguments),
        }
        Ok(out)
    }

    fn apply(&mut self, name: &str, value: Option<String>) {
        match name {
            "pidfile" => {
                self.pidfile = Some(value.map_or_else(
                    || self.dirs.ovn_rundir.join("ovn-controller.pid"),
                    PathBuf::from,
                ));
            }
            "overwrite-pidfile" => self.overwrite_pidfile = true,
            "log-file" => {
                self.log_file = Some(value.map_or_else(
                    || self.dirs.ovn_logdir.join("ovn-controller.log"),
                    PathBuf::from,
                ));
            }
            "detach" => self.detach = true,
            "no-chdir" => self.no_chdir = true,
            "monitor" => self.monitor = true,
            "unixctl" => self.unixctl = value.map(PathBuf::from),
            "cni-socket" => {
                if let Some(v) = value {
                    self.cni_socket = PathBuf::from(v);
                }
            }
            "verbose" => self.verbose.push(value.unwrap_or_default()),
            "help" => self.help = true,
            "version" => self.version = true,
            _ => {}
        }
    }

    /// The usage text printed by `--help`.
    pub fn usage(program: &str) -> String {
        format!(
            "{program}: OVN node datapath agent (drop-in for ovn-controller)\n\
             usage: {program} [OPTIONS] [OVS-DATABASE]\n\
             \n\
             OVS-DATABASE is the local Open_vSwitch database remote (default: unix:$OVS_RUNDIR/db.sock).\n\
             \n\
             Daemon options:\n\
             \x20 --detach                run in background as daemon\n\
             \x20 --pidfile[=FILE]        create pidfile (default: $OVN_RUNDIR/ovn-controller.pid)\n\
             \x20 --overwrite-pidfile     with --pidfile, start even if already running\n\
             \x20 --no-chdir              accepted for compatibility\n\
             \x20 --monitor               accepted for compatibility\n\
             \x20 --unixctl=SOCKET        override default control socket name\n\
             \x20 --cni-socket=PATH       CNI server socket (default: $OVN_RUNDIR/ovn-agent-cni.sock)\n\
             Logging options:\n\
             \x20 -vSPEC, --verbose=SPEC  set logging levels (e.g. -vconsole:off, -vdbg)\n\
             \x20 --log-file[=FILE]       enable logging to file (default: $OVN_LOGDIR/ovn-controller.log)\n\
             Other options:\n\
             \x20 -h, --help              display this help message\n\
             \x20 -V, --version           display version information\n\
             \n\
             Debugging subcommands: {program} ofctl|lflow|ovsdb --help\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs() -> Dirs {
        Dirs::from_env(|k| match k {
            "OVS_RUNDIR" => Some("/run/ovs".into()),
            "OVN_RUNDIR" => Some("/run/ovn".into()),
            _ => None,
        })
    }

    #[test]
    fn the_testbed_invocation_parses() {
        let a = DaemonArgs::parse(
            [
                "--pidfile=/d/ovn-controller.pid",
                "--log-file=/d/ovn-controller.log",
                "unix:/d/db.sock",
            ],
            dirs(),
        )
        .unwrap();
        assert_eq!(a.pidfile, Some(PathBuf::from("/d/ovn-controller.pid")));
        assert_eq!(a.log_file, Some(PathBuf::from("/d/ovn-controller.log")));
        assert_eq!(a.ovs_remote, "unix:/d/db.sock");
        assert_eq!(a.cni_socket, PathBuf::from("/run/ovn/ovn-agent-cni.sock"));
    }

    #[test]
    fn defaults_come_from_the_environment() {
        let a = DaemonArgs::parse(
            [
                "--pidfile",
                "--log-file",
                "--detach",
                "--no-chdir",
                "-vconsole:off",
            ],
            dirs(),
        )
        .unwrap();
        assert_eq!(a.ovs_remote, "unix:/run/ovs/db.sock");
        assert_eq!(
            a.pidfile,
            Some(PathBuf::from("/run/ovn/ovn-controller.pid"))
        );
        assert_eq!(
            a.log_file,
            Some(PathBuf::from("/var/log/ovn/ovn-controller.log"))
        );
        assert!(a.detach && a.no_chdir);
        assert_eq!(a.verbose, vec!["console:off".to_owned()]);
    }

    #[test]
    fn required_values_may_be_separate_words() {
        let a = DaemonArgs::parse(["--unixctl", "/x.ctl", "--cni-socket=/c.sock"], dirs()).unwrap();
        assert_eq!(a.unixctl, Some(PathBuf::from("/x.ctl")));
        assert_eq!(a.cni_socket, PathBuf::from("/c.sock"));
    }

    #[test]
    fn bad_command_lines_are_rejected_with_ovs_wording() {
        assert_eq!(
            DaemonArgs::parse(["--bogus"], dirs()),
            Err(ArgsError::Unknown("--bogus".into()))
        );
        assert_eq!(
            DaemonArgs::parse(["--unixctl"], dirs()),
            Err(ArgsError::MissingValue("--unixctl".into()))
        );
        assert_eq!(
            DaemonArgs::parse(["--detach=1"], dirs()),
            Err(ArgsError::UnexpectedValue("--detach".into()))
        );
        assert_eq!(
            DaemonArgs::parse(["a", "b"], dirs()),
            Err(ArgsError::TooManyArguments)
        );
        assert_eq!(
            DaemonArgs::parse(["-x"], dirs()),
            Err(ArgsError::Unknown("-x".into()))
        );
    }
}
