//! The background's fault vocabulary: for each service (in [`super::desk::SERVICES`] order)
//! the components its incidents are about, each with a family of symptoms written in
//! several phrasings, and the title templates of the other kinds.
//!
//! The words are chosen so that background faults stay apart for any detector that clusters
//! by shared words: within a service no two components share a word, no component uses a
//! word of the service's injected faults ([`super::inject`]), a symptom
//! never has more words than its component (so two components with the same symptom share
//! at most a third of their words), and no title has a token of letters and digits
//! together (an entity, which forms its own cluster). The unit tests check all of it.

use std::sync::LazyLock;

/// A component's kind, which decides the symptoms it can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    App,
    Device,
    Feature,
    Sync,
    Link,
    Access,
    Web,
}

/// Components per service: lines of `family letter: name; name; ...` (A app, D device,
/// F feature, S sync, L link, C access, W web).
const OBJECTS: [&[&str]; 8] = [
    // Email
    &[
        "A: Outlook; Thunderbird; Lotus Notes; Mimecast plugin; Webex integration",
        "A: iPhone client; Android app; LastPass extension; Zoom add-in",
        "F: calendar invite; distribution list; automatic replies; spam filter; junk folder",
        "F: signature block; address book; room finder; forwarding rule; online archive",
        "F: quarantine digest; S/MIME certificate; message trace; read receipt",
        "F: delegate permission; attachment preview; search index; contact groups",
        "F: file size limit; meeting reminders; recurring appointments",
        "F: voicemail transcription; retention policy; litigation hold; phishing alert button",
        "F: safe senders; sensitivity labels; rich text formatting; HTML rendering",
        "F: URL rewriting; profile pictures; conversation view; focused inbox",
        "F: colour categories; follow-up flags; delayed delivery; resource scheduling",
        "F: public holidays feed; PST import; backup restore; bounce notices; Gmail migration",
        "F: Exchange licence; to-do tasks; navigation pane; quick steps; mentions",
        "F: autocomplete; dark mode; spelling checker; shortcut keys",
        "S: ActiveSync; offline cache; company directory",
    ],
    // VPN
    &[
        "A: AnyConnect; GlobalProtect; Citrix Workspace; FortiClient; Zscaler; Pulse Secure",
        "A: WireGuard; virtual desktop; RDP; published applications; Meraki client",
        "L: jump host; home broadband; mobile hotspot; hotel captive portal; internal DNS",
        "L: branch link; high latency; packet loss",
        "C: tunnel certificate; authenticator app; hardware token; SMS passcode; SAML sign-in",
        "C: Duo push; RSA SecurID; device enrolment; Kerberos; cached credentials",
        "C: contractor access",
        "F: split tunnelling; posture check; proxy auto-config; file share mapping",
        "F: session reconnect; clipboard redirection; local printing; webcam offload",
        "F: audio optimisation; always-on profile; firewall allowlist; IP allocation",
        "F: kill switch; idle timeout; network location awareness; zero trust broker",
        "F: endpoint compliance; MTU settings; bandwidth cap; SSTP fallback; legacy PPTP",
        "W: intranet sites; StoreFront; login banner; browser isolation; Okta tile",
        "D: USB passthrough; travel router; cellular dongle; ethernet adapter; pocket Wi-Fi",
        "D: NAC agent",
    ],
    // Printing
    &[
        "F: spooler; secure release; follow-me printing; large format; colour calibration",
        "F: watermarking; booklet mode; cheque stationery; shipping labels; scan-to-email",
        "F: PostScript fonts; PDF rendering; meter readings; quota balance; cost centre codes",
        "F: margins; double-sided copies; banner pages; wake from sleep; SNMP alerts",
        "F: supplies ordering; text recognition; barcode; ink levels; cover sheets",
        "F: transparency film",
        "D: toner cartridge; flatbed scanner; copier; plotter; duplex unit; Dymo",
        "D: imaging drum; fuser; staple finisher; output tray; document feeder; PIN pad",
        "D: ID card encoder; network interface; hole punch; touch panel; waste bottle",
        "D: humidity sensor; laminator; shredder; franking machine; envelope; kiosk",
        "L: fax line; Wi-Fi Direct",
        "A: PCL driver; PaperCut; AirPrint; CUPS daemon; firmware; Canon uniFLOW",
        "A: HP Web Jetadmin; Kyocera Fleet Services",
        "C: Xerox account",
        "W: Ricoh portal; usage dashboard",
    ],
    // ERP
    &[
        "F: purchase order approval; goods receipt; vendor master; payroll calculation",
        "F: general ledger; cost centre; budget check; batch jobs; month-end close",
        "F: reconciliation; fixed assets; stock levels; warehouse picking; sales quotation",
        "F: credit limit; customer records; price list; tax codes; currency rates",
        "F: intercompany billing; delivery notes; carrier integration; workflow inbox",
        "F: payment proposal; dunning letters; accruals; consolidation; forecast model",
        "F: analytics cubes; material numbers; BOM explosion; production planning; MRP",
        "F: quality inspection; maintenance notifications; contract management",
        "F: bank statement import; PDF forms; document archive; transport queue",
        "F: sandbox refresh; Excel export; period lock; corporate cards; depreciation",
        "F: cash flow; GRIR clearing",
        "A: SAP GUI",
        "W: Fiori launchpad; expense claims; timesheets; BW queries; HR self-service",
        "W: annual leave; org chart; procurement catalogue; supplier portal; travel bookings",
        "W: mileage",
        "C: authorisation roles",
        "L: EDI interface; SWIFT transfers",
    ],
    // Laptops
    &[
        "D: docking station; keyboard; touchpad; webcam; lid hinge; fingerprint reader",
        "D: mains adapter; USB-C port; HDMI output; headphone jack; speakers; microphone",
        "D: Wi-Fi module; SSD; memory; cooling fan; screen; stylus pen; security slot",
        "D: trackpoint; backlight; function keys; GPU; external monitor; DisplayPort",
        "D: network dongle; TPM chip; smart card; privacy shutter; riser stand; headset",
        "D: touchscreen; mouse; Caps Lock indicator",
        "F: display brightness; sleep mode; hibernation; restart loop; boot sequence",
        "F: Night Light",
        "C: BitLocker recovery; Windows Hello; BIOS password; local admin rights",
        "C: Intune enrolment",
        "L: Bluetooth",
        "A: feature upgrade; Start menu; File Explorer; Office activation; Acrobat; Chrome",
        "A: Edge browser; Java runtime; antivirus; driver conflict; software centre",
        "A: Company Portal; disk cleanup",
        "S: OneDrive; system clock; roaming profile",
    ],
    // Identity
    &[
        "W: reset portal; Okta dashboard; entitlement catalogue",
        "C: Active Directory account; MFA prompt; authenticator push; SSO login",
        "C: shared drive permissions; security group membership; distribution lists",
        "C: guest invitations; service principal; admin elevation; PAM vault",
        "C: certificate enrolment; smart card PIN; door badge; password expiry",
        "C: recovery codes; memorable questions; Kerberos; OAuth consent; API keys; SSH",
        "C: stored credentials; face recognition; SAML assertion; phone verification",
        "C: SMS passcode; privileged workstation; nickname; Windows Hello for Business",
        "S: SCIM provisioning; HR feed; Entra Connect; org hierarchy; manager field",
        "S: cost centre attribute",
        "L: LDAP bind; domain trust",
        "F: leaver process; joiner onboarding; mover review; GPO; conditional access",
        "F: sign-in risk; app registration; delegation; legal name; email alias",
        "F: contractor end dates; audit log; token lifetime; session timeout; remember device",
        "F: lockout threshold; identity proofing; break-glass procedure; profile photo",
        "F: approval chain",
        "A: LastPass; unlock tool",
        "D: YubiKey",
    ],
    // Network
    &[
        "L: Wi-Fi in meeting rooms; floor port; packet loss to data centre; intranet DNS",
        "L: guest wireless; proxy; VoIP calls; internet breakout; WAN link; MPLS circuit",
        "L: fibre uplink; cellular backup; video conferencing bridge; bandwidth; latency",
        "L: jitter; roaming handover; signal strength; BGP session; public website",
        "L: speed test; remote site; ISP handoff; IPsec tunnel; broadcast storm",
        "L: spanning tree",
        "D: switch stack; access point; desk phone; edge appliance; load balancer",
        "D: comms cabinet; patch panel; core router; PoE budget; standby power; cooling",
        "D: network cable; wall socket",
        "F: firewall rule; DHCP lease; SSL inspection; web filter; VLAN assignment",
        "F: MAC address binding; multicast streaming; Bonjour discovery; NAC quarantine",
        "F: IPAM records; reverse lookup; CDN cache; SNMP monitoring; traffic shaping",
        "F: QoS policy; PSK rotation; time server; NTP drift",
        "A: Zoom; Webex; NetFlow collector",
        "C: RADIUS authentication",
        "W: captive portal; topology diagram",
    ],
    // Service Desk Portal
    &[
        "W: portal homepage; catalogue form; status page; chat widget; FAQ articles",
        "W: single sign-on redirect; analytics dashboard; branding; announcement banner",
        "W: outage board; order guide; shopping cart; checkout; CAB agenda",
        "W: browser compatibility; spinner; breadcrumb navigation; CAPTCHA",
        "F: file attachments; knowledge search; approver field; notification emails",
        "F: survey link; SLA timers; priority matrix; assignment rules; inbound parsing",
        "F: CMDB lookup; asset picker; location dropdown; department list; calendar control",
        "F: rich text editor; screenshot upload; comment thread; watchers; escalation button",
        "F: reopen option; resolution codes; satisfaction rating; language selector",
        "F: accessibility mode; proxy submission; bulk import; CSV export; scheduled digests",
        "F: PDF download; session expiry; SMS alerts; on-call roster; war room",
        "F: approval reminders; filter panel; personal views; favourites; print layout",
        "F: time zone; avatar",
        "A: virtual agent; mobile app; Slack bot",
        "L: API integration; Jira connector",
    ],
];

/// Incident symptoms of one family: `{}` is the component. `short` phrasings add one word,
/// `long` ones two (`won't` counts: split at the apostrophe, `won` is a word to a
/// detector); one-word components take only the short ones.
struct Symptoms {
    short: &'static [&'static str],
    long: &'static [&'static str],
}

fn symptoms(f: Family) -> Symptoms {
    let (short, long): (&[&str], &[&str]) = match f {
        Family::App => (
            &[
                "Cannot open {}",
                "{} is very slow",
                "{} freezes",
                "Cannot install {}",
                "{} not responding",
            ],
            &[
                "{} won't open",
                "{} crashes on launch",
                "{} keeps crashing",
                "{} update failed",
                "{} hangs when saving",
                "{} closes unexpectedly",
            ],
        ),
        Family::Device => (
            &[
                "{} not working",
                "{} not detected",
                "{} dead",
                "{} intermittent",
                "{} damaged",
                "{} unresponsive",
                "{} loose",
            ],
            &["{} stopped working", "{} making a noise"],
        ),
        Family::Feature => (
            &[
                "{} not working",
                "{} fails",
                "{} incorrect",
                "{} missing",
                "Cannot use {}",
                "{} not updating",
                "{} stuck",
                "{} very slow",
            ],
            &["{} gives an error", "{} not saving changes"],
        ),
        Family::Sync => (
            &[
                "{} not syncing",
                "{} out of date",
                "{} not updating",
                "{} duplicated",
                "{} stale",
            ],
            &["{} sync fails"],
        ),
        Family::Link => (
            &[
                "{} drops",
                "{} very slow",
                "{} unstable",
                "{} down",
                "{} intermittent",
                "{} timing out",
            ],
            &["{} keeps dropping", "No connection over {}"],
        ),
        Family::Access => (
            &[
                "{} locked",
                "{} expired",
                "{} rejected",
                "{} not accepted",
                "{} fails",
                "Cannot use {}",
                "{} not recognised",
            ],
            &["{} stopped working"],
        ),
        Family::Web => (
            &[
                "{} not loading",
                "{} very slow",
                "{} blank",
                "{} times out",
                "{} not saving",
            ],
            &["{} shows an error", "{} won't load"],
        ),
    };
    Symptoms { short, long }
}

/// Titles of requests, by family, and of changes and problems: not incidents, so
/// recurring-problem detection never sees them and they may repeat freely.
fn other_templates(kind: &str, f: Family) -> &'static [&'static str] {
    match (kind, f) {
        ("change", _) => &[
            "Upgrade {}",
            "Planned maintenance on {}",
            "Configuration change to {}",
        ],
        ("problem", _) => &[
            "Investigate repeated {} failures",
            "Root cause of {} outages",
        ],
        (_, Family::App) => &[
            "Install {} on my laptop",
            "Licence for {} needed",
            "Access to {} needed",
        ],
        (_, Family::Device) => &[
            "New {} needed",
            "Replacement {} please",
            "Spare {} for a new starter",
        ],
        _ => &[
            "Access to {} needed",
            "Change to {} settings",
            "Set up {} for a new starter",
        ],
    }
}

/// One component.
#[derive(Debug, Clone, Copy)]
pub(super) struct Object {
    pub(super) family: Family,
    pub(super) name: &'static str,
    /// Words of the name (letters or digits, two or more), which limits its symptoms.
    words: usize,
}

/// The parsed vocabulary: components per service.
pub(super) struct Vocabulary {
    services: Vec<Vec<Object>>,
}

pub(super) static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(Vocabulary::parse);

impl Vocabulary {
    fn parse() -> Vocabulary {
        let services = OBJECTS
            .iter()
            .map(|lines| {
                lines
                    .iter()
                    .flat_map(|line| {
                        let (f, names) = line.split_once(": ").expect("family: names");
                        let family = match f {
                            "A" => Family::App,
                            "D" => Family::Device,
                            "F" => Family::Feature,
                            "S" => Family::Sync,
                            "L" => Family::Link,
                            "C" => Family::Access,
                            _ => Family::Web,
                        };
                        names.split("; ").map(move |name| Object {
                            family,
                            name,
                            words: name
                                .split(|c: char| !c.is_alphanumeric())
                                .filter(|w| w.len() >= 2)
                                .count(),
                        })
                    })
                    .collect()
            })
            .collect();
        Vocabulary { services }
    }

    /// The components of service `s`.
    pub(super) fn objects(&self, s: usize) -> &[Object] {
        &self.services[s]
    }
}

/// `template` with `{}` replaced by `name`, its first letter upper-cased (unless the name
/// is written like `iPhone`).
fn fill(template: &str, name: &str) -> String {
    let t = template.replace("{}", name);
    let mut chars = t.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_lowercase() && !b.is_uppercase() => {
            a.to_uppercase().chain(t[a.len_utf8()..].chars()).collect()
        }
        _ => t,
    }
}

/// The phrasings an incident about `o` can have.
pub(super) fn phrasings(o: &Object) -> Vec<&'static str> {
    let s = symptoms(o.family);
    let mut all = s.short.to_vec();
    if o.words >= 2 {
        all.extend_from_slice(s.long);
    }
    all
}

/// An incident title about `o`, phrased by `draw`.
pub(super) fn incident_title(o: &Object, draw: u32) -> String {
    let p = phrasings(o);
    fill(p[draw as usize % p.len()], o.name)
}

/// The title of a ticket of `kind` (request, change, problem) in service `s`: `draw` picks
/// the component and the template.
pub(super) fn other_title(kind: &str, s: usize, draw: u32) -> String {
    let objects = VOCABULARY.objects(s);
    let o = &objects[draw as usize % objects.len()];
    let t = other_templates(kind, o.family);
    fill(t[(draw as usize / objects.len()) % t.len()], o.name)
}

#[cfg(test)]
#[path = "faults_tests.rs"]
mod tests;
