package ui

import (
	"strings"
	"testing"
)

func TestParsePlaybook(t *testing.T) {
	got, err := parsePlaybook("Pull the mail | 2\n\n  Warn staff  \r\nCall the vendor|0\n")
	if err != nil || len(got) != 3 || got[0].Title != "Pull the mail" || got[0].DueHours != 2 || got[1].Title != "Warn staff" || got[2].DueHours != 0 {
		t.Fatalf("parsed %+v %v", got, err)
	}
	if _, err := parsePlaybook("x\ny | soon"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad hours: %v", err)
	}
	if back := playbookText(got); back != "Pull the mail | 2\nWarn staff\nCall the vendor\n" {
		t.Fatalf("written back %q", back)
	}
}

// FuzzParsePlaybook: what parses writes back to text that parses the same.
func FuzzParsePlaybook(f *testing.F) {
	f.Add("Pull the mail | 2\nWarn staff")
	f.Add("a|b|c\n|\n | 3")
	f.Fuzz(func(t *testing.T, s string) {
		tasks, err := parsePlaybook(s)
		if err != nil {
			return
		}
		again, err := parsePlaybook(playbookText(tasks))
		if err != nil || len(again) != len(tasks) {
			t.Fatalf("%q → %+v → %+v, %v", s, tasks, again, err)
		}
		for i := range tasks {
			if tasks[i].Title != "" && again[i] != tasks[i] {
				t.Fatalf("%q: task %d %+v became %+v", s, i, tasks[i], again[i])
			}
		}
	})
}
