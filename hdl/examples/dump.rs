fn main() {
    let m = hdl::blocks::axis_register::axis_register(hdl::bundles::AxisCfg::net(64)).unwrap();
    let d = hdl::emit_design(&m).unwrap();
    for f in d.files {
        std::fs::write(format!("/tmp/v/{}", f.name), &f.text).unwrap();
        println!("{}", f.text);
    }
}
