package sigma

import (
	"os"
	"path/filepath"
	"testing"
)

func mustParse(tb testing.TB, src string) []*Rule {
	tb.Helper()
	rules, errs := Parse("t.yml", []byte(src))
	if len(errs) > 0 {
		tb.Fatal(errs[0])
	}
	return rules
}

const procCreationRule = `title: Whoami
id: r1
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
`

func TestWindowsMapping(t *testing.T) {
	regAdd := `title: RegAdd
id: r2
logsource:
    category: registry_add
    product: windows
detection:
    selection:
        TargetObject|contains: '\Run'
    condition: selection
`
	secRule := `title: Logon
id: r3
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
        LogonType: 10
    condition: selection
`
	rules := mustParse(t, procCreationRule+"---\n"+regAdd+"---\n"+secRule)
	cases := []struct {
		name, event, want string
	}{
		{"sysmon 1", `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\whoami.exe"}`, "r1"},
		{"security 4688 mapped field", `{"Channel":"Security","EventID":4688,"NewProcessName":"C:\\Windows\\System32\\whoami.exe"}`, "r1"},
		{"security 4688 sysmon field name", `{"Channel":"Security","EventID":4688,"Image":"C:\\Windows\\System32\\whoami.exe"}`, ""},
		{"sysmon wrong event id", `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":7,"Image":"C:\\whoami.exe"}`, ""},
		{"channel case-insensitive", `{"Channel":"microsoft-windows-sysmon/operational","EventID":1,"Image":"C:\\whoami.exe"}`, "r1"},
		{"no channel", `{"EventID":1,"Image":"C:\\whoami.exe"}`, ""},
		{"event id as string", `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":"1","Image":"C:\\whoami.exe"}`, "r1"},
		{"registry add", `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":12,"EventType":"CreateKey","TargetObject":"HKLM\\Run"}`, "r2"},
		{"registry delete is not add", `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":12,"EventType":"DeleteKey","TargetObject":"HKLM\\Run"}`, ""},
		{"security service", `{"Channel":"Security","EventID":4624,"LogonType":10}`, "r3"},
		{"security rule on system channel", `{"Channel":"System","EventID":4624,"LogonType":10}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := matchBoth(t, rules, Options{}, c.event)
			ids := ""
			for _, r := range got {
				ids += r.ID
			}
			if ids != c.want {
				t.Errorf("matched %q, want %q", ids, c.want)
			}
		})
	}
}

func TestLoadMapping(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cloud := `title: CloudTrail user created
id: c1
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: CreateUser
        requestParameters.userName|startswith: 'adm'
    condition: selection
`
	rules := mustParse(t, cloud+"---\n"+procCreationRule)
	extend := write("extend.yml", `logsources:
    - product: aws
      service: cloudtrail
      conditions:
          eventSource: '*.amazonaws.com'
fieldmappings:
    eventName: eventName
`)
	m, err := LoadMapping(extend)
	if err != nil {
		t.Fatal(err)
	}
	ct := `{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","requestParameters":{"userName":"admin2"}}`
	notCT := `{"eventSource":"other","eventName":"CreateUser","requestParameters":{"userName":"admin2"}}`
	sysmon := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\whoami.exe"}`
	if got := matchBoth(t, rules, Options{Mapping: m}, ct); len(got) != 1 || got[0].ID != "c1" {
		t.Errorf("cloudtrail event: %v", ruleKeys(got))
	}
	if got := matchBoth(t, rules, Options{Mapping: m}, notCT); len(got) != 0 {
		t.Errorf("gated cloudtrail rule matched another source: %v", ruleKeys(got))
	}
	if got := matchBoth(t, rules, Options{Mapping: m}, sysmon); len(got) != 1 {
		t.Errorf("extended mapping lost the built-in entries: %v", ruleKeys(got))
	}
	replace := write("replace.yml", "replace: true\nlogsources:\n    - category: process_creation\n      product: windows\n      conditions:\n          Channel: MyEDR\n")
	m2, err := LoadMapping(replace)
	if err != nil {
		t.Fatal(err)
	}
	if got := matchBoth(t, rules, Options{Mapping: m2}, sysmon); len(got) != 0 {
		t.Errorf("replaced mapping still routes sysmon: %v", ruleKeys(got))
	}
	if got := matchBoth(t, rules, Options{Mapping: m2}, `{"Channel":"MyEDR","Image":"x\\whoami.exe"}`); len(got) != 1 {
		t.Errorf("replaced mapping: %v", ruleKeys(got))
	}
	if _, err := LoadMapping(write("bad.yml", "logsources:\n    - conditions: {}\n")); err == nil {
		t.Error("entry without category/product/service accepted")
	}
	if _, err := LoadMapping(filepath.Join(dir, "missing.yml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestUnmappedLogsource(t *testing.T) {
	rules := mustParse(t, `title: Odd
logsource:
    category: no_such_category
    product: windows
detection:
    sel:
        Foo: bar
    condition: sel
`)
	set, err := Compile(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Unmapped()) != 1 {
		t.Fatalf("Unmapped() = %d rules, want 1", len(set.Unmapped()))
	}
	for ev, want := range map[string]int{
		`{"Channel":"Security","Foo":"bar"}`: 0, // a routed channel: only its own rules
		`{"Channel":"MyApp","Foo":"bar"}`:    1,
		`{"Foo":"bar"}`:                      1,
	} {
		if got := matchBoth(t, rules, Options{}, ev); len(got) != want {
			t.Errorf("%s: %d matches, want %d", ev, len(got), want)
		}
	}
	product := mustParse(t, "title: Any windows\nlogsource:\n    product: windows\ndetection:\n    sel:\n        Foo: bar\n    condition: sel\n")
	for ev, want := range map[string]int{
		`{"Channel":"Security","Foo":"bar"}`:              1,
		`{"Channel":"System","EventID":7045,"Foo":"bar"}`: 1,
		`{"Foo":"bar"}`: 1,
	} {
		if got := matchBoth(t, product, Options{}, ev); len(got) != want {
			t.Errorf("product-wide rule on %s: %d matches, want %d", ev, len(got), want)
		}
	}
	// A rule for another product (here Zeek, whose negated condition is true
	// of almost anything) never applies to Windows events, even of a channel
	// the mapping does not know; it still applies to events without a Channel.
	zeek := mustParse(t, "title: RDP not from private\nlogsource:\n    product: zeek\n    service: rdp\ndetection:\n    sel:\n        id.orig_h|cidr: '10.0.0.0/8'\n    condition: not sel\n")
	for ev, want := range map[string]int{
		`{"Channel":"Microsoft-Windows-Unknown/Operational","EventID":1}`: 0,
		`{"Channel":"Security","EventID":4624}`:                           0,
		`{"id.orig_h":"203.0.113.9"}`:                                     1,
		`{"id.orig_h":"10.1.2.3"}`:                                        0,
	} {
		if got := matchBoth(t, zeek, Options{}, ev); len(got) != want {
			t.Errorf("zeek rule on %s: %d matches, want %d", ev, len(got), want)
		}
	}
}

func TestMetaFilter(t *testing.T) {
	base := `title: Rar
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
name: rar_use
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\rar.exe'
    condition: selection
`
	filter := `title: Filter Administrator account
description: The valid administrator account start with adm_
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095
    selection:
        User|startswith: 'adm_'
    condition: not selection
`
	other := `title: Other source filter
logsource:
    product: linux
filter:
    rules: [rar_use]
    selection:
        User: bob
    condition: not selection
`
	rules := mustParse(t, base+"---\n"+filter+"---\n"+other)
	if rules[1].Kind() != "filter" {
		t.Fatalf("kind %q", rules[1].Kind())
	}
	ev := func(user string) string {
		return `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\rar.exe","User":"` + user + `"}`
	}
	if got := matchBoth(t, rules, Options{}, ev("adm_alice")); len(got) != 0 {
		t.Errorf("filtered event matched")
	}
	if got := matchBoth(t, rules, Options{}, ev("bob")); len(got) != 1 {
		t.Errorf("event outside the filter (and outside the linux filter's log source) did not match")
	}
}
