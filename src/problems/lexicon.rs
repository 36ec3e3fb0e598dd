//! The word lists [`super::text`] normalises with: stop words and service-desk filler, the
//! fault symptoms that all mean "it is broken", the negators that turn the next verb into a
//! symptom, and the few synonyms that name the same thing.
//!
//! The lists are about how people write fault reports, not about any one table: a reporter
//! writes "not working", "not functioning", "malfunctioning" or "down" for the same fault,
//! and the object of the sentence ("printer", "email", "VPN") is what tells two faults apart.

/// The one token every fault symptom becomes. It says that something is broken, not what:
/// a text with nothing else carries no signal, and similarity weighs it at
/// [`FAULT_WEIGHT`].
pub const FAULT: &str = "fault";

/// How much [`FAULT`] counts in the similarity of two texts, against 1 for any other token.
/// Half: sharing the symptom alone ("Printer not responding", "Keyboard not responding")
/// must not make two reports alike, but it does count when the object is shared too.
pub const FAULT_WEIGHT: f64 = 0.5;

/// English stop words plus service-desk filler that says nothing about the fault: courtesy,
/// urgency, the reporter, adverbs of manner ("properly", "correctly"), and generic head
/// nouns ("system", "service": "Email system outage" is an email outage).
pub const STOP: &[&str] = &[
    "a", "able", "about", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at",
    "be", "been", "being", "but", "by", "can", "could", "did", "do", "does", "dont", "each",
    "for", "from", "had", "has", "have", "having", "he", "her", "here", "him", "his", "how", "i",
    "if", "in", "into", "is", "it", "its", "just", "me", "my", "nor", "now", "of", "off", "on",
    "once", "only", "or", "our", "out", "over", "she", "should", "so", "some", "such", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "why", "will", "with", "would", "you", "your",
    // Service-desk filler.
    "working", "work", "works", "please", "pls", "help", "helps", "urgent", "urgently", "asap",
    "need", "needed", "needs", "reported", "report", "reports", "reporting", "user", "users",
    "hi", "hello", "thanks", "thank", "regards", "team", "kindly", "assist", "assistance",
    "query", "request", "properly", "correctly", "expected", "still", "anymore", "ticket",
    "incident", "someone", "something", "anything", "everything", "getting", "get", "got",
    "keeps", "keep", "also", "re", "fw", "fwd", "system", "systems", "service", "services",
];

/// Words that say something is broken, as written (before stemming): each becomes
/// [`FAULT`]. "Issue" and "problem" are here too: "Printer issue" is a printer fault.
pub const SYMPTOMS: &[&str] = &[
    "down", "outage", "outages", "offline", "unavailable", "unreachable", "unresponsive",
    "inaccessible", "broken", "broke", "crash", "crashes", "crashed", "crashing", "error",
    "errors", "fail", "fails", "failed", "failing", "failure", "failures", "fault", "faults",
    "faulty", "malfunction", "malfunctions", "malfunctioning", "malfunctioned", "defective",
    "dead", "interruption", "interruptions", "interrupted", "disruption", "disrupted", "issue",
    "issues", "problem", "problems", "glitch", "glitches", "trouble", "troubles", "bug", "bugs",
];

/// Words that turn the next content word into a symptom: "not printing", "cannot access",
/// "unable to connect", "lost connectivity", "stopped responding". Apostrophes are dropped
/// before this list is consulted, so "can't" is "cant".
pub const NEGATORS: &[&str] = &[
    "not", "no", "cannot", "cant", "unable", "couldnt", "wont", "doesnt", "isnt", "didnt",
    "arent", "wasnt", "werent", "never", "lost", "losing", "stopped", "stops",
];

/// Stems of the verbs that, negated, only say that the thing does not work: "not working",
/// "not responding", "cannot access", "unable to connect" all become [`FAULT`] and nothing
/// else. A negated verb outside this list ("not printing", "not syncing") keeps its stem
/// beside [`FAULT`], since it says which function failed.
pub const CAPABILITIES: &[&str] = &[
    "work", "function", "functional", "respond", "operat", "run", "runn", "access", "connect",
    "reach", "load", "open", "start", "boot", "turn", "power", "establish",
];

/// Words with the same meaning in a fault report, mapped to one form (after stemming).
pub const SYNONYMS: &[(&str, &str)] = &[
    ("connectivity", "connect"),
    ("disconnect", "drop"),
    ("dropp", "drop"),
    ("slowli", "slow"),
    ("sluggish", "slow"),
    ("e-mail", "email"),
    ("mail", "email"),
    ("mailbox", "email"),
    ("wifi", "wi-fi"),
    ("logon", "login"),
    ("signin", "login"),
];
