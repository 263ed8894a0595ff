package attack

import (
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		tag        string
		ok         bool
		id, name   string
		url, label string
	}{
		{"attack.t1059.001", true, "T1059.001", "Command and Scripting Interpreter: PowerShell", "https://attack.mitre.org/techniques/T1059/001/", "T1059.001 Command and Scripting Interpreter: PowerShell"},
		{"attack.T1110", true, "T1110", "Brute Force", "https://attack.mitre.org/techniques/T1110/", "T1110 Brute Force"},
		{"t1003.006", true, "T1003.006", "OS Credential Dumping: DCSync", "https://attack.mitre.org/techniques/T1003/006/", "T1003.006 OS Credential Dumping: DCSync"},
		{"attack.t9999", true, "T9999", "", "https://attack.mitre.org/techniques/T9999/", "T9999"},
		{"attack.credential-access", true, "TA0006", "Credential Access", "https://attack.mitre.org/tactics/TA0006/", "TA0006 Credential Access"},
		{"attack.execution", true, "TA0002", "Execution", "https://attack.mitre.org/tactics/TA0002/", "TA0002 Execution"},
		{"attack.g0016", false, "", "", "", ""},
		{"attack.t1059.1", false, "", "", "", ""},
		{"cve.2021-44228", false, "", "", "", ""},
		{"attack.t1059/../x", false, "", "", "", ""},
	}
	for _, tt := range tests {
		r, ok := Lookup(tt.tag)
		if ok != tt.ok || r.ID != tt.id || r.Name != tt.name || r.URL != tt.url || (ok && r.Label() != tt.label) {
			t.Errorf("Lookup(%q) = %+v, %v; want %s %q %s ok=%v", tt.tag, r, ok, tt.id, tt.name, tt.url, tt.ok)
		}
	}
}

func TestRefsKeepsOrderWithoutRepeats(t *testing.T) {
	got := Refs([]string{"attack.credential_access", "attack.t1110", "attack.T1110", "windows", "attack.t1110.003"})
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, " ") != "TA0006 T1110 T1110.003" {
		t.Errorf("Refs = %v", ids)
	}
}

func TestTableIDsAreWellFormed(t *testing.T) {
	for id, name := range techniques {
		r, ok := Lookup(id)
		if !ok || r.ID != id || r.Name != name || name == "" {
			t.Errorf("table entry %s %q does not read back: %+v %v", id, name, r, ok)
		}
	}
}

// FuzzLookup: any tag is read without panicking, and what is read links
// only to attack.mitre.org.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"attack.t1059.001", "attack.execution", "attack.g0016", "", "attack.", "T1110"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		r, ok := Lookup(tag)
		if ok && !strings.HasPrefix(r.URL, "https://attack.mitre.org/") {
			t.Fatalf("Lookup(%q) links to %q", tag, r.URL)
		}
		if ok && strings.ContainsAny(r.URL[len("https://attack.mitre.org/"):], "?#:@ ") {
			t.Fatalf("Lookup(%q) made an odd URL %q", tag, r.URL)
		}
	})
}
