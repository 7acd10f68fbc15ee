//! The device's state reaches the core here; [`crate::device_policy`] decides, this file
//! applies the decision to capture and delivery.

use super::*;
use crate::device_policy::{DeviceDecision, DeviceState, DeviceStateError};

impl Client {
    /// The wrapper reports the device's state (thermal, low power, battery, network): the
    /// capture rate follows at the next tick, uploads are deferred or resumed at once
    /// (deferred ones stay in the spool). An invalid state is refused and counted.
    pub fn device_state(&self, state: DeviceState) -> Result<DeviceDecision, ClientError> {
        self.check_open()?;
        let d = self.device.report(state).map_err(|e| match e {
            DeviceStateError::BatteryLevel(_) => {
                ClientError::InvalidArgument("battery level not within 0..=1")
            }
            _ => ClientError::InvalidArgument("device state"),
        })?;
        self.pipeline
            .with_policy(|p| p.set_device(d.interval_factor, d.capture_stopped));
        self.uploader.set_deferred(d.upload_deferred.is_some());
        Ok(d)
    }
}
