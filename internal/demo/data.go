package demo

// The demo government: fictional agencies and systems, hostnames under the
// reserved .example top-level domain (RFC 2606).

type agencySpec struct {
	code, name, domain string
	systems            []systemSpec
}

type systemSpec struct {
	name, host, asset, crit, class, desc string
	internet                             bool
}

var agencies = []agencySpec{
	{"MOH", "Ministry of Health", "health.gov.example", []systemSpec{
		{"HealthHub", "healthhub", "web", "critical", "restricted", "Citizens' health records, appointments and prescriptions.", true},
		{"HealthHub API", "api.healthhub", "api", "critical", "restricted", "Partner API for clinics and hospitals.", true},
		{"Vaccination Records", "vaccines", "web", "high", "confidential", "National immunisation register.", false},
		{"Clinic Booking App", "booking", "mobile", "medium", "official-closed", "iOS and Android appointment booking.", true},
		{"Ward Telemetry", "telemetry", "iot", "high", "restricted", "Bedside monitors reporting to nursing stations.", false},
	}},
	{"MOE", "Ministry of Education", "moe.gov.example", []systemSpec{
		{"Student Learning Space", "sls", "web", "high", "official-closed", "Online lessons for every school.", true},
		{"School Admissions", "admissions", "web", "high", "restricted", "Primary and secondary school registration.", true},
		{"Parents Gateway", "pg", "mobile", "medium", "official-closed", "School notices and consent forms for parents.", true},
		{"Exam Results API", "results-api", "api", "critical", "confidential", "National examination results for schools.", false},
	}},
	{"MOM", "Ministry of Manpower", "mom.gov.example", []systemSpec{
		{"Work Pass Portal", "workpass", "web", "critical", "restricted", "Employment pass applications and renewals.", true},
		{"Employment Records API", "emp-api", "api", "high", "confidential", "Employer submissions of employment records.", true},
		{"Dormitory Access Control", "dorm-iot", "iot", "medium", "official-closed", "Door controllers and visitor kiosks.", false},
		{"Case Management", "cases", "host", "medium", "restricted", "Internal servers for workplace safety cases.", false},
	}},
	{"ICA", "Immigration and Checkpoints Authority", "ica.gov.example", []systemSpec{
		{"e-Passport Application", "passport", "web", "critical", "confidential", "Passport applications and collection booking.", true},
		{"Visitor Arrival Card", "arrival", "web", "high", "restricted", "Electronic arrival card for visitors.", true},
		{"Checkpoint Gate Hosts", "gates", "host", "critical", "secret", "Automated clearance gate controllers.", false},
		{"Biometrics Matching API", "bio-api", "api", "critical", "secret", "Fingerprint and face matching service.", false},
		{"Traveller App", "traveller", "mobile", "medium", "official-closed", "Queue times and arrival card on the phone.", true},
	}},
	{"IRAS", "Inland Revenue Authority", "iras.gov.example", []systemSpec{
		{"myTax Portal", "mytax", "web", "critical", "confidential", "Individual and corporate tax filing.", true},
		{"e-Filing API", "efile-api", "api", "high", "confidential", "Software vendors' filing interface.", true},
		{"Payments Gateway", "pay", "web", "critical", "restricted", "GIRO and card payment of taxes.", true},
		{"Analytics Cluster", "analytics", "cloud", "medium", "confidential", "Compliance analytics in the government cloud.", false},
	}},
	{"LTA", "Land Transport Authority", "lta.gov.example", []systemSpec{
		{"MyTransport App", "mytransport", "mobile", "medium", "official-open", "Bus arrivals, traffic news and journey planning.", true},
		{"Traffic Cameras", "cams", "iot", "high", "official-closed", "Expressway and junction cameras.", false},
		{"Road Tax Renewal", "roadtax", "web", "high", "restricted", "Vehicle road tax renewal and payment.", true},
		{"Parking API", "parking-api", "api", "low", "official-open", "Live carpark availability for apps.", true},
		{"Fare Data Lake", "datalake", "cloud", "high", "confidential", "Card fare transactions for planning.", false},
	}},
}

type findingSpec struct {
	title, severity, source string
	cwe                     int
	desc                    string
}

var findingsBySource = []findingSpec{
	{"Reflected XSS in search parameter", "medium", "vdp", 79, "The `q` parameter of the search page is echoed without encoding.\n\n**Steps**\n1. Open `/search?q=<svg onload=alert(1)>`\n2. The payload runs."},
	{"IDOR exposes other users' appointment details", "high", "bounty", 639, "Changing the numeric `appointmentId` in `/api/appointments/{id}` returns another citizen's appointment."},
	{"Stored XSS in feedback form rendered to staff", "high", "vrp", 79, "Feedback text is rendered unescaped in the staff console."},
	{"SQL injection in report export", "critical", "bounty", 89, "The `sort` parameter of the CSV export is concatenated into SQL."},
	{"Open redirect after sign-in", "low", "vdp", 601, "`/login?next=https://evil.example` redirects off-site after sign-in."},
	{"Missing rate limit on OTP verification", "high", "vrp", 307, "The one-time password endpoint accepts unlimited guesses."},
	{"TLS 1.0 and 1.1 still enabled", "medium", "scan", 327, "The external scan negotiated TLS 1.0 with a CBC cipher suite."},
	{"Outdated jQuery 1.12 with known XSS", "medium", "scan", 1104, "jQuery 1.12.4 is served on every page (CVE-2020-11022, CVE-2020-11023)."},
	{"Missing HSTS header", "low", "scan", 319, "Responses do not carry Strict-Transport-Security."},
	{"Server banner discloses version", "info", "scan", 200, "`Server: Apache/2.4.29 (Ubuntu)`."},
	{"Default credentials on management interface", "critical", "import", 1392, "The vendor's default admin password works on the device web console (internal penetration test)."},
	{"Unpatched OpenSSH with known vulnerability", "high", "import", 1104, "OpenSSH 8.2p1 found by the quarterly internal scan."},
	{"Weak password policy for staff accounts", "medium", "import", 521, "Minimum length is 6 characters with no breached-password check."},
	{"Ransomware precursor: Cobalt Strike beacon on host", "critical", "incident", 506, "Detected by Sigma rule on named-pipe creation; host isolated, forensic image taken."},
	{"Credential dumping via LSASS access", "high", "incident", 522, "Process access to lsass.exe by an unsigned binary; passwords rotated."},
	{"Publicly readable storage bucket", "high", "scan", 732, "A storage bucket with export files is listable without credentials."},
	{"Verbose stack traces in API errors", "low", "vrp", 209, "Unhandled exceptions return full stack traces and library versions."},
	{"CORS allows any origin with credentials", "medium", "bounty", 942, "`Access-Control-Allow-Origin` reflects the request origin together with credentials."},
	{"Subdomain takeover via dangling CNAME", "high", "vdp", 350, "`old-campaign` points to a deleted cloud app name that anyone can claim."},
	{"Mobile app stores session token in plain text", "medium", "bounty", 312, "The token is kept in shared preferences, readable on rooted devices."},
	{"Firmware update not signed", "high", "import", 347, "Devices accept any firmware image uploaded over the maintenance port."},
	{"Clickjacking on payment confirmation", "low", "vdp", 1021, "The confirmation page can be framed by another site."},
}
