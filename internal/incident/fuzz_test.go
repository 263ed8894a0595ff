package incident_test

import (
	"testing"

	"github.com/kubu-gov/kubu/internal/incident"
)

// FuzzParseTargets: any input either parses into targets that write back
// to a string that parses to the same targets, or is refused.
func FuzzParseTargets(f *testing.F) {
	f.Add("critical=15m/4h/24h,high=1h/24h/72h")
	f.Add("low=1h0m0s/2h/3h")
	f.Add(",=//")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := incident.ParseTargets(s, nil)
		if err != nil {
			return
		}
		for sev, x := range got {
			if x.Acknowledge <= 0 || x.Contain < x.Acknowledge || x.Recover < x.Contain {
				t.Fatalf("%q gave %s %+v", s, sev, x)
			}
		}
		back, err := incident.ParseTargets(got.String(), nil)
		if err != nil || back.String() != got.String() {
			t.Fatalf("%q → %q → %v, %v", s, got.String(), back, err)
		}
	})
}

// FuzzNormaliseObservable: a normalised value normalises to itself.
func FuzzNormaliseObservable(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "2001:DB8::1", "10.0.0.1/8", "Evil.Example.", "HTTP://X.example/a b", "a@B.example",
		"d41d8cd98f00b204e9800998ecf8427e", `CORP\user`} {
		for _, typ := range incident.ObservableTypes {
			f.Add(typ, s)
		}
	}
	f.Fuzz(func(t *testing.T, typ, s string) {
		v, err := incident.NormaliseObservable(typ, s)
		if err != nil {
			return
		}
		again, err := incident.NormaliseObservable(typ, v)
		if err != nil || again != v {
			t.Fatalf("%s %q → %q → %q, %v", typ, s, v, again, err)
		}
	})
}
