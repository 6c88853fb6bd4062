//! Groups in `ovs-ofctl dump-groups` text (`ofp_print_group` in `lib/ofp-group.c`, OF1.5 form
//! with bucket ids and properties).

use std::fmt::Write;

use super::instructions;
use super::{BUCKET_ALL, BUCKET_FIRST, BUCKET_LAST};
use super::{FlowFormatError, GroupDesc, GroupType, print};

/// Appends `group_id=7,type=select,selection_method=dp_hash,bucket=bucket_id:0,weight:100,actions=…`.
pub fn format_group(out: &mut String, g: &GroupDesc) -> Result<(), FlowFormatError> {
    let _ = write!(out, "group_id={},type={}", g.group_id, g.ty.name());
    if let Some(sm) = &g.selection_method
        && !sm.method.is_empty()
    {
        let _ = write!(out, ",selection_method={}", sm.method);
        if sm.param != 0 {
            let _ = write!(out, ",selection_method_param={}", sm.param);
        }
        if !sm.fields.is_empty() {
            // TODO(codec): print the hashed fields (`fields(ip_src,...)`); OVN's
            // selection_method=hash groups need the field-array formatter.
            return Err(FlowFormatError(
                "selection_method fields are not supported yet".into(),
            ));
        }
    }
    if !g.buckets.is_empty() {
        out.push(',');
    }
    for b in &g.buckets {
        out.push_str("bucket=bucket_id:");
        match b.bucket_id {
            BUCKET_FIRST => out.push_str("first"),
            BUCKET_LAST => out.push_str("last"),
            BUCKET_ALL => out.push_str("all"),
            id => {
                let _ = write!(out, "{id}");
            }
        }
        out.push(',');
        let w = b.effective_weight(g.ty);
        if w != if g.ty == GroupType::SELECT { 1 } else { 0 } {
            let _ = write!(out, "weight:{w},");
        }
        if b.watch_port != 0xffff_ffff {
            let _ = write!(out, "watch_port:{},", print::port_no(b.watch_port));
        }
        if b.watch_group != 0xffff_ffff {
            let _ = write!(out, "watch_group:{},", b.watch_group);
        }
        out.push_str("actions=");
        instructions::format_actions(out, &b.actions).map_err(FlowFormatError)?;
        out.push(',');
    }
    if out.ends_with(',') {
        out.pop();
    }
    Ok(())
}
