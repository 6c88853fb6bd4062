//! The CNI shim (issue 8). Until it exists it reports that it is not implemented, as a CNI error.
fn main() {
    println!(r#"{{"cniVersion":"1.0.0","code":50,"msg":"ovn-agent-cni is not implemented yet"}}"#);
    std::process::exit(1);
}
