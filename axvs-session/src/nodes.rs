//! Opening a GenICam camera's node map: through Aravis, or through the chosen GenTL producer. `axvs genicam`
//! and the MCP node tools share this.

use std::path::Path;

use axvs_genicam::nodes::NodeAccess;
use axvs_genicam::DeviceSelector;

/// Opens the node map of the camera `selector` names: with `gentl`, through the GenTL producer (`cti`, or the
/// chosen one); otherwise through Aravis (`fake` also offers Aravis' simulated camera).
pub fn open(
    selector: &DeviceSelector,
    fake: bool,
    gentl: bool,
    cti: Option<&Path>,
) -> Result<Box<dyn NodeAccess>, String> {
    if gentl {
        let (cti, _) = axvs_gentl::cti::resolve(cti).map_err(|e| e.to_string())?;
        let device = axvs_gentl::GentlDevice::open(&cti, selector)?;
        return Ok(Box::new(device));
    }
    #[cfg(feature = "genicam")]
    {
        let map = axvs_camera_genicam::NodeMap::open(selector, fake).map_err(|e| e.to_string())?;
        Ok(Box::new(map))
    }
    #[cfg(not(feature = "genicam"))]
    {
        let _ = fake;
        Err("this axvs was built without the genicam feature (Aravis): only GenTL cameras".into())
    }
}
