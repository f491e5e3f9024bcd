//! Counting the frames a camera or its transport lost, from the block (frame) ids of the buffers that
//! arrive.
//!
//! GigE Vision 1.x block ids are 16-bit: 1 to 65535, then 1 again (0 means "no id"). GigE Vision 2 and
//! USB3 Vision ids are 64-bit. Buffers can arrive out of order: one that waited for resent packets comes
//! after later ones, and by then it has been counted lost in the gap its successor showed.

/// What became of a complete buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// The next frame: deliver it; `lost_before` frames went missing since the previous one.
    Next { lost_before: u64 },
    /// A frame shortly older than one already delivered (it waited for resent packets), counted lost when
    /// its successor came, or a repeat of the last one: drop it.
    Stale,
}

/// The ids seen so far on one stream.
#[derive(Debug, Default)]
pub(crate) struct BlockIds {
    last: Option<u64>,
    /// Frames skipped before incomplete buffers, reported with the next complete one.
    pending_lost: u64,
}

/// Half the 16-bit id ring: an id this far ahead or more is behind.
const RING_HALF: u64 = 32_768;
/// How far behind the last id a buffer may arrive and still be a late frame; further behind, the camera
/// restarted its count (a reset, a reconnection) and the id starts a new run.
const REORDER_WINDOW: u64 = 256;

/// Where `id` stands relative to `last`.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// After `last`, with this many ids between.
    Ahead(u64),
    /// At or shortly before `last`.
    Late,
    /// Far before `last`: a new count.
    Reset,
}

fn step(last: u64, id: u64) -> Step {
    let (ahead, behind, half) = if last <= 0xFFFF && id <= 0xFFFF {
        let ahead = (id + 0xFFFF - last) % 0xFFFF;
        (ahead, 0xFFFF - ahead, RING_HALF)
    } else {
        (id.wrapping_sub(last), last.wrapping_sub(id), u64::MAX / 2)
    };
    if ahead == 0 {
        Step::Late
    } else if ahead < half {
        Step::Ahead(ahead - 1)
    } else if behind <= REORDER_WINDOW {
        Step::Late
    } else {
        Step::Reset
    }
}

impl BlockIds {
    /// A complete buffer with this id (0: the camera gives none) arrived.
    pub(crate) fn complete(&mut self, id: u64) -> Arrival {
        if id != 0 {
            if let Some(last) = self.last {
                match step(last, id) {
                    Step::Ahead(gap) => self.pending_lost += gap,
                    Step::Late => return Arrival::Stale,
                    Step::Reset => {}
                }
            }
            self.last = Some(id);
        }
        Arrival::Next {
            lost_before: std::mem::take(&mut self.pending_lost),
        }
    }

    /// Losses taken with a frame that could not be delivered after all: reported with the next one.
    pub(crate) fn carry(&mut self, lost: u64) {
        self.pending_lost += lost;
    }

    /// An incomplete buffer with this id arrived. True when it is a new loss (count it); false when its
    /// frame was already counted lost (it is late) or its id is unknown and a later gap will count it.
    pub(crate) fn incomplete(&mut self, id: u64) -> bool {
        if id == 0 {
            return false;
        }
        if let Some(last) = self.last {
            match step(last, id) {
                Step::Ahead(gap) => self.pending_lost += gap,
                Step::Late => return false,
                Step::Reset => {}
            }
        }
        self.last = Some(id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(lost_before: u64) -> Arrival {
        Arrival::Next { lost_before }
    }

    #[test]
    fn gaps_count_the_missing_ids() {
        let mut ids = BlockIds::default();
        assert_eq!(ids.complete(10), next(0), "nothing is known before the first frame");
        assert_eq!(ids.complete(11), next(0));
        assert_eq!(ids.complete(14), next(2));
    }

    #[test]
    fn sixteen_bit_ids_wrap_from_65535_to_1() {
        let mut ids = BlockIds::default();
        ids.complete(65534);
        assert_eq!(ids.complete(65535), next(0));
        assert_eq!(ids.complete(1), next(0), "0 is never used");
        let mut ids = BlockIds::default();
        ids.complete(65533);
        assert_eq!(ids.complete(2), next(3), "65534, 65535 and 1 went missing");
    }

    #[test]
    fn a_late_frame_is_stale_and_counted_once() {
        let mut ids = BlockIds::default();
        ids.complete(100);
        assert_eq!(ids.complete(102), next(1), "101 missing so far");
        assert_eq!(ids.complete(101), Arrival::Stale, "101 came late: already counted");
        assert_eq!(ids.complete(102), Arrival::Stale, "a repeat");
        assert_eq!(ids.complete(103), next(0));
        // Late across the wrap, where a naive difference would count 65000 frames.
        let mut ids = BlockIds::default();
        ids.complete(65535);
        ids.complete(2);
        assert_eq!(ids.complete(65534), Arrival::Stale);
        assert_eq!(ids.complete(3), next(0));
    }

    #[test]
    fn incomplete_buffers_count_once_with_the_gap_before_them() {
        let mut ids = BlockIds::default();
        ids.complete(10);
        assert!(ids.incomplete(13), "13 is a new loss");
        assert_eq!(ids.complete(14), next(2), "11 and 12 went missing before it");
        assert!(!ids.incomplete(12), "late, and counted in that gap already");
        assert!(!ids.incomplete(0), "no id: the next gap counts it");
        assert_eq!(ids.complete(16), next(1));
    }

    #[test]
    fn unknown_ids_neither_count_nor_move_the_count() {
        let mut ids = BlockIds::default();
        ids.complete(5);
        assert_eq!(ids.complete(0), next(0));
        assert_eq!(ids.complete(7), next(1));
    }

    #[test]
    fn sixty_four_bit_ids_count_without_wrapping() {
        let mut ids = BlockIds::default();
        ids.complete(65_535);
        assert_eq!(ids.complete(65_536), next(0));
        assert_eq!(ids.complete(70_000), next(4_463));
        assert_eq!(ids.complete(69_999), Arrival::Stale);
    }

    #[test]
    fn a_counter_that_starts_over_starts_a_new_run() {
        let mut ids = BlockIds::default();
        ids.complete(5_000);
        assert_eq!(ids.complete(3), next(0), "far behind: the camera restarted its count");
        assert_eq!(ids.complete(4), next(0));
        assert_eq!(ids.complete(6), next(1));
        let mut ids = BlockIds::default();
        ids.complete(1_000_000);
        assert_eq!(ids.complete(1), next(0), "64-bit ids restart too");
        assert!(ids.incomplete(2));
        assert_eq!(ids.complete(3), next(0));
    }
}
