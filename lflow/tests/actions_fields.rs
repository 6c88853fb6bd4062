//! The action encoder's field table (`lflow::actions::MfField`) agrees with the `openflow`
//! crate's table generated from OVS 3.1's meta-flow.h: names, widths, subfield names and the
//! OpenFlow 1.5 header.

use lflow::actions::MfField;

#[test]
fn field_table_matches_openflow_crate() {
    let mut problems = Vec::new();
    for mf in MfField::all() {
        let Some(of) = mf.to_openflow() else {
            problems.push(format!("{}: unknown to openflow::field", mf.name()));
            continue;
        };
        let info = of.info();
        if usize::from(info.n_bytes) != mf.n_bytes() || info.n_bits != mf.n_bits() {
            problems.push(format!(
                "{}: width {}/{} vs {}/{}",
                mf.name(),
                mf.n_bytes(),
                mf.n_bits(),
                info.n_bytes,
                info.n_bits
            ));
        }
        if info.nxm_name != mf.nxm_name() {
            problems.push(format!(
                "{}: subfield name {} vs {}",
                mf.name(),
                mf.nxm_name(),
                info.nxm_name
            ));
        }
        if let Some(h) = info.oxm.filter(|h| h.experimenter == 0) {
            let ours = mf.header_of15(false);
            let (class, field) = ((ours >> 16) as u16, ((ours >> 9) & 0x7f) as u8);
            if (class, field) != (h.class, h.field) {
                problems.push(format!(
                    "{}: OF1.5 header {class:#x}/{field} vs {:#x}/{}",
                    mf.name(),
                    h.class,
                    h.field
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
