//! The `gentl` camera plugin: exports the GenTL consumer's backend ([`axvs_gentl::GentlBackend`]).

axvs_plugin::export_plugin! {
    name: "gentl",
    version: env!("CARGO_PKG_VERSION"),
    backends: [axvs_gentl::GentlBackend],
}
