//! The background's wording: which component each ordinary incident is about.
//!
//! ## The noise model
//!
//! Each service has D ≥ 62 components ([`super::faults`]), each reported in several
//! phrasings. A service's background incidents, taken in the order they were opened, are
//! dealt components from a shuffled deck, reshuffled when it runs out: a component comes
//! back only after every other component of its service has had an incident. So any run of
//! m consecutive incidents of a service holds at most ⌈(m - 1) / D⌉ + 1 of one component: 2 in
//! up to D + 1 = 63 incidents, 3 in up to 2D + 1 = 125. The phrasing is drawn independently.
//!
//! Why a deck and not independent draws: with independent draws, D components at about 0.6
//! incidents a month each meet by chance (simulated at the test size, about 250 of the ~500
//! components have three incidents within some 30 days), and those coincidences are what a
//! count-based detector flags. A real desk's long tail of faults is noise, not a burst.
//!
//! What the detectors see, at the test size (6000 tickets over 13 months): a service has
//! 6000 × 0.70 (incidents) × 0.97 (not vague) / 8 services ≈ 510 incidents, 39 a month on
//! average, at most ~70 in its busiest 30 days.
//! - The chronic rule (≥ 4 incidents in a month in ≥ 3 of the last 6 months, or ≥ 10 % of
//!   the block's incidents) never fires: 4 in one month takes ≥ 2D + 2 = 126 incidents of the
//!   service in that month (3 × the test's rate; it holds up to about 17,000 tickets over 13
//!   months), and one component's share of its service is at most 1/D + 1/n ≈ 1.8 %.
//! - The burst window (≥ 3 incidents within 30 days) needs a 30-day run of ≥ D + 2 = 64
//!   incidents *and* the component at both ends of the decks around it; simulated over 60
//!   seeds, no component reached 3 in 30 days at 6000 tickets, 7 seeds had one at 7000, and
//!   most seeds had one or two at 8000. So the background is clean up to about 7000 tickets
//!   over 13 months; beyond, a few components start to meet three times a month, as a larger
//!   desk's would.
//! - Paraphrases of one component may merge (the detector should merge them); components
//!   never do: within a service they share no word (see [`super::faults`]).

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use super::desk::{SERVICES, Ticket};
use super::faults::{VOCABULARY, incident_title};

/// Give every incident with a pending fault (`faults[i]`, the phrasing draw) its title:
/// the component dealt from its service's deck, in opening order.
pub(super) fn deal(rng: &mut SmallRng, out: &mut [Ticket], faults: &[Option<u32>]) {
    for s in 0..SERVICES.len() {
        let objects = VOCABULARY.objects(s);
        let mut order: Vec<usize> = (0..out.len())
            .filter(|&i| faults[i].is_some() && out[i].service == s)
            .collect();
        order.sort_by_key(|&i| (out[i].opened, i));
        let mut deck: Vec<usize> = Vec::new();
        for i in order {
            if deck.is_empty() {
                deck = (0..objects.len()).collect();
                deck.shuffle(rng);
            }
            let o = deck.pop().expect("refilled");
            out[i].title = incident_title(&objects[o], faults[i].expect("pending"));
        }
    }
}
