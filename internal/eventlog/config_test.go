package eventlog

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestConfigDefaults(t *testing.T) {
	got, err := Config{DataDir: "/data"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DataDir:         "/data",
		Stream:          "KUBU_EVENTS",
		MaxAge:          7 * 24 * time.Hour,
		MaxBytes:        10 << 30,
		Replicas:        1,
		DuplicateWindow: 2 * time.Minute,
		MaxPayload:      8 << 20,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Config{}, "Logger")); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if got.Logger == nil {
		t.Error("no default logger")
	}
}

func TestConfigAdjustments(t *testing.T) {
	got, err := Config{URL: "nats://x:4222", MaxAge: time.Minute, Replicas: 3}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.DuplicateWindow != time.Minute || got.Replicas != 3 {
		t.Errorf("external: duplicate window %v replicas %d, want 1m (capped at MaxAge) and 3", got.DuplicateWindow, got.Replicas)
	}
	got, err = Config{DataDir: "/d", Replicas: 3}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.Replicas != 1 {
		t.Errorf("embedded replicas = %d, want 1", got.Replicas)
	}
}

func TestConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error
	}{
		{"no data dir or url", Config{}, "DataDir"},
		{"stream with dot", Config{DataDir: "d", Stream: "KUBU.EVENTS"}, "stream name"},
		{"stream double underscore", Config{DataDir: "d", Stream: "KUBU__EVENTS"}, "stream name"},
		{"stream trailing underscore", Config{DataDir: "d", Stream: "KUBU_"}, "stream name"},
		{"stream too long", Config{DataDir: "d", Stream: strings.Repeat("K", 65)}, "longer"},
		{"negative age", Config{DataDir: "d", MaxAge: -time.Second}, "MaxAge"},
		{"negative bytes", Config{DataDir: "d", MaxBytes: -1}, "MaxBytes"},
		{"replicas", Config{URL: "nats://x", Replicas: 7}, "Replicas"},
		{"negative dup window", Config{DataDir: "d", DuplicateWindow: -time.Second}, "DuplicateWindow"},
		{"negative sync", Config{DataDir: "d", SyncInterval: -time.Second}, "SyncInterval"},
		{"tiny payload", Config{DataDir: "d", MaxPayload: 1024}, "MaxPayload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.withDefaults()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestSubjectPrefix(t *testing.T) {
	tests := []struct{ stream, want string }{
		{"KUBU_EVENTS", "kubu.events"},
		{"KT_0A1B", "kt.0a1b"},
		{"events", "events"},
		{"KUBU-DEV_EVENTS", "kubu-dev.events"},
	}
	for _, tt := range tests {
		got, err := subjectPrefix(tt.stream)
		if err != nil || got != tt.want {
			t.Errorf("subjectPrefix(%q) = %q, %v; want %q", tt.stream, got, err, tt.want)
		}
	}
}

func TestSubjectAndAgency(t *testing.T) {
	const prefix = "kubu.events"
	tests := []struct {
		agency  string
		subject string // "" when the agency is rejected
	}{
		{"MOH", "kubu.events.MOH"},
		{"moh-2_x", "kubu.events.moh-2_x"},
		{"", ""},
		{"M.H", ""},
		{"*", ""},
		{">", ""},
		{"M H", ""},
		{"MÖH", ""},
		{strings.Repeat("A", 65), ""},
	}
	for _, tt := range tests {
		t.Run(tt.agency, func(t *testing.T) {
			got, err := subjectFor(prefix, tt.agency)
			if tt.subject == "" {
				if err == nil {
					t.Fatalf("subjectFor(%q) = %q, want an error", tt.agency, got)
				}
				return
			}
			if err != nil || got != tt.subject {
				t.Fatalf("subjectFor(%q) = %q, %v; want %q", tt.agency, got, err, tt.subject)
			}
			if a, ok := agencyOf(prefix, got); !ok || a != tt.agency {
				t.Errorf("agencyOf(%q) = %q, %v; want %q", got, a, ok, tt.agency)
			}
		})
	}
	for _, s := range []string{"kubu.events", "kubu.events.", "kubu.eventsX.MOH", "other.MOH", "kubu.events.MOH.", "kubu.events.*"} {
		if a, ok := agencyOf(prefix, s); ok {
			t.Errorf("agencyOf(%q) = %q, true; want false", s, a)
		}
	}
	if a, ok := agencyOf(prefix, "kubu.events.MOH.syslog"); !ok || a != "MOH" {
		t.Errorf("agencyOf of a deeper subject = %q, %v; want MOH", a, ok)
	}
}
