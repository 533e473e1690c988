//! Counters and fixed-bucket histograms the writer updates on every batch, read by the server's
//! `/metrics`. Lock-free: one atomic add per observation.

use std::sync::atomic::{AtomicU64, Ordering};

/// A cumulative histogram with fixed upper bounds, Prometheus style.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    /// Sum of observations, in the unit of the bounds, scaled by `SUM_SCALE` to stay integral.
    sum_scaled: AtomicU64,
    count: AtomicU64,
}

const SUM_SCALE: f64 = 1_000_000.0;

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_scaled: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    #[allow(clippy::float_arithmetic, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn observe(&self, value: f64) {
        if let Some(index) = self.bounds.iter().position(|bound| value <= *bound) {
            self.counts[index].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_scaled.fetch_add((value.max(0.0) * SUM_SCALE) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// `(upper bound, cumulative count)` per bucket, then the total count and sum.
    #[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = 0;
        let buckets = self
            .bounds
            .iter()
            .zip(&self.counts)
            .map(|(bound, count)| {
                cumulative += count.load(Ordering::Relaxed);
                (*bound, cumulative)
            })
            .collect();
        HistogramSnapshot {
            buckets,
            count: self.count.load(Ordering::Relaxed),
            sum: self.sum_scaled.load(Ordering::Relaxed) as f64 / SUM_SCALE,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSnapshot {
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum: f64,
}

/// What the ledger writer has done since start.
#[derive(Debug)]
pub struct LedgerMetrics {
    /// Requests per committed batch.
    pub batch_size: Histogram,
    /// Seconds from a batch's `BEGIN` to its `COMMIT` returning.
    pub commit_seconds: Histogram,
    pub transfers_created: AtomicU64,
    pub transfers_rejected: AtomicU64,
    pub pending_expired: AtomicU64,
    pub batches_failed: AtomicU64,
}

const BATCH_SIZE_BOUNDS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
const SECONDS_BOUNDS: &[f64] =
    &[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

impl Default for LedgerMetrics {
    fn default() -> LedgerMetrics {
        LedgerMetrics {
            batch_size: Histogram::new(BATCH_SIZE_BOUNDS),
            commit_seconds: Histogram::new(SECONDS_BOUNDS),
            transfers_created: AtomicU64::new(0),
            transfers_rejected: AtomicU64::new(0),
            pending_expired: AtomicU64::new(0),
            batches_failed: AtomicU64::new(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let histogram = Histogram::new(&[1.0, 10.0, 100.0]);
        for value in [0.5, 1.0, 5.0, 50.0, 500.0] {
            histogram.observe(value);
        }
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.buckets, vec![(1.0, 2), (10.0, 3), (100.0, 4)]);
        assert_eq!(snapshot.count, 5);
        assert_eq!(snapshot.sum, 556.5);
    }
}
