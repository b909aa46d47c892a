//! What the gateway's and core's Prometheus metrics share: the latency buckets, build info, and
//! text that can be joined (`serve` shows core's metrics after the gateway's on one page).

use prometheus_client::{
    encoding::text::encode,
    metrics::{
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// The media type of a metrics page.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The line that ends a metrics page.
pub const EOF: &str = "# EOF\n";

/// Latency buckets from 0.5 ms to about 16 s.
pub fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Registers `build_info{version}` = 1.
pub fn register_build_info(registry: &mut Registry) {
    let build = Family::<[(&'static str, &'static str); 1], Gauge>::default();
    build.get_or_create(&[("version", env!("CARGO_PKG_VERSION"))]).set(1);
    registry.register("build_info", "The running build", build);
}

/// The registry's metrics as OpenMetrics text without the closing [`EOF`], so that pages can be
/// joined; empty if they cannot be encoded.
pub fn encode_unterminated(registry: &Registry) -> String {
    let mut text = String::new();
    if encode(&mut text, registry).is_err() {
        return String::new();
    }
    text.truncate(text.strip_suffix(EOF).map_or(text.len(), str::len));
    text
}
