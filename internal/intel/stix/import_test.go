package stix

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/intel"
)

func TestImportBundle(t *testing.T) {
	f, err := os.Open("testdata/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inds, res := Import(f, Options{Source: "cert-feed"})
	if res.Fatal != nil {
		t.Fatalf("Fatal: %v", res.Fatal)
	}
	if res.Objects != 17 {
		t.Errorf("Objects = %d, want 17", res.Objects)
	}
	var got []string
	for _, in := range inds {
		got = append(got, fmt.Sprintf("%s %s tlp=%s conf=%d name=%q", in.ID[len(in.ID)-2:], in.Observable, in.TLP, in.Confidence, in.Name))
	}
	want := []string{
		`01 ip:198.51.100.8 tlp= conf=90 name="C2 server (moved)"`,
		`02 domain:login-secure.example tlp=clear conf=-1 name="Phishing kit"`,
		`02 url:http://login-secure.example/owa/ tlp=clear conf=-1 name="Phishing kit"`,
		`02 email:it-support@login-secure.example tlp=clear conf=-1 name="Phishing kit"`,
		`03 sha256:908b64b1971a979c7e3e8ce4621945cba84854cb98d76367b791a6e22b5f6d53 tlp=green conf=-1 name="Dropper"`,
		`03 md5:cda48fc75952ad12d99e526d0b6bf70a tlp=green conf=-1 name="Dropper"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("indicators (-want +got):\n%s", diff)
	}
	if res.Imported != 3 {
		t.Errorf("Imported = %d, want 3", res.Imported)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.ID[len(s.ID)-2:]+" "+s.Reason)
	}
	wantSkipped := []string{
		"04 unsupported pattern: FOLLOWEDBY between observations (only OR is supported)",
		`05 pattern_type "snort" (only stix patterns are read)`,
		"06 revoked",
		"01 an older version of an indicator also in the bundle",
	}
	if diff := cmp.Diff(wantSkipped, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	wantErrs := []string{"000000000007: pattern syntax error", "indicator--not-a-uuid: id", "000000000009: confidence 150",
		"00000000000a: valid_until", "00000000000b: ipv4-addr:value", "00000000000c: timestamp \"not a time\"", "object 17: not a STIX object"}
	if len(res.Errors) != len(wantErrs) {
		t.Fatalf("errors = %q", res.Errors)
	}
	for i, w := range wantErrs {
		if !strings.Contains(res.Errors[i], w) {
			t.Errorf("error %d = %q, want it to contain %q", i, res.Errors[i], w)
		}
	}
	first := inds[0]
	if first.Source != "cert-feed" || first.Creator != "" || !first.ValidUntil.IsZero() ||
		!first.Modified.Equal(time.Date(2026, 4, 5, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("latest version of 01: %+v", first)
	}
}

func TestImportKeepsFieldsOfFirstVersion(t *testing.T) {
	b, _ := os.ReadFile("testdata/bundle.json")
	// Drop the later version of 01 to see the first one whole.
	lines := strings.Split(string(b), "\n")
	var kept []string
	for _, l := range lines {
		if !strings.Contains(l, "C2 server (moved)") {
			kept = append(kept, l)
		}
	}
	inds, _ := Import(strings.NewReader(strings.Join(kept, "\n")), Options{})
	in := inds[0]
	want := intel.Indicator{
		ID: "indicator--a1000000-0000-4000-8000-000000000001", Observable: intel.Observable{Type: intel.IP, Value: "198.51.100.7"},
		Name: "C2 server", Creator: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
		ValidFrom: time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC), ValidUntil: time.Date(2026, 7, 2, 10, 0, 0, 0, time.UTC),
		Confidence: 85, Modified: time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC), TLP: intel.TLPAmberStrict,
		Labels: []string{"malicious-activity", "c2"},
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("indicator (-want +got):\n%s", diff)
	}
}

func TestReaderMalformed(t *testing.T) {
	tests := []struct {
		name, doc string
		objects   int
		msg       string
	}{
		{"not an object", `[1,2]`, 0, "a bundle is a JSON object"},
		{"wrong type", `{"type":"report","objects":[]}`, 0, `type is "report"`},
		{"type after objects", `{"objects":[{"type":"x"}],"type":"report"}`, 1, `type is "report"`},
		{"objects not an array", `{"type":"bundle","objects":{}}`, 0, "objects must be an array"},
		{"truncated", `{"type":"bundle","objects":[{"type":"a","id":"a--1"},{"type":"b","id":`, 1, "unexpected end"},
		{"garbage in array", `{"type":"bundle","objects":[{"type":"a"}, nope]}`, 1, "invalid character"},
		{"data after", `{"type":"bundle","objects":[]} {}`, 0, "data after the bundle"},
		{"empty", ``, 0, "unexpected end"},
	}
	for _, tc := range tests {
		r := NewReader(strings.NewReader(tc.doc))
		n := 0
		var err error
		for {
			_, err = r.Next()
			if err != nil {
				break
			}
			n++
		}
		var be *BundleError
		if !errors.As(err, &be) || !strings.Contains(be.Msg, tc.msg) {
			t.Errorf("%s: error %v, want a BundleError with %q", tc.name, err, tc.msg)
		}
		if n != tc.objects {
			t.Errorf("%s: %d objects before the error, want %d", tc.name, n, tc.objects)
		}
		if _, again := r.Next(); again != err {
			t.Errorf("%s: Next after an error gave %v", tc.name, again)
		}
	}
	// A TAXII envelope reads like a bundle.
	r := NewReader(strings.NewReader(`{"more":false,"objects":[{"type":"indicator"}],"next":"x"}`))
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end of envelope: %v", err)
	}
}

func TestImportTruncatedKeepsWhatWasRead(t *testing.T) {
	b := bundleOf(5)
	inds, res := Import(bytes.NewReader(b[:len(b)*3/4]), Options{})
	if res.Fatal == nil || len(inds) == 0 || res.Imported != len(inds) {
		t.Fatalf("truncated bundle: %d indicators, Imported %d, Fatal %v", len(inds), res.Imported, res.Fatal)
	}
}

// bundleOf makes a bundle of n single-address indicators.
func bundleOf(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-04-02T10:00:00.000Z","modified":"2026-04-02T10:00:00.000Z","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-04-02T10:00:00Z","confidence":70}`,
			i, i>>16&255, i>>8&255, i&255)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func TestImportTenThousand(t *testing.T) {
	inds, res := Import(bytes.NewReader(bundleOf(10_000)), Options{})
	if res.Fatal != nil || res.Imported != 10_000 || len(inds) != 10_000 || len(res.Skipped) != 0 || len(res.Errors) != 0 {
		t.Fatalf("Imported %d, %d indicators, skipped %d, errors %v", res.Imported, len(inds), len(res.Skipped), res.Errors)
	}
	if inds[9999].Value != "10.0.39.15" {
		t.Fatalf("last indicator %v", inds[9999].Observable)
	}
}

func TestWriteBundleRoundTrip(t *testing.T) {
	src := []intel.Indicator{
		{ID: "indicator--a1000000-0000-4000-8000-000000000001", Observable: intel.Observable{Type: intel.IP, Value: "198.51.100.7"},
			Name: "C2", ValidFrom: time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC), ValidUntil: time.Date(2026, 5, 2, 10, 0, 0, 0, time.UTC),
			Confidence: 80, TLP: intel.TLPAmberStrict, Labels: []string{"c2"}, Creator: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
			Modified: time.Date(2026, 4, 3, 10, 0, 0, 0, time.UTC)},
		{ID: "indicator--a1000000-0000-4000-8000-000000000001", Observable: intel.Observable{Type: intel.Domain, Value: "c2.example"},
			Name: "C2", ValidFrom: time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC), ValidUntil: time.Date(2026, 5, 2, 10, 0, 0, 0, time.UTC),
			Confidence: 80, TLP: intel.TLPAmberStrict, Labels: []string{"c2"}, Creator: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
			Modified: time.Date(2026, 4, 3, 10, 0, 0, 0, time.UTC)},
		{ID: "misp-attr-6f2b", Observable: intel.Observable{Type: intel.URL, Value: "http://x.example/it's"},
			ValidFrom: time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC), Confidence: -1, TLP: intel.TLPGreen},
	}
	var buf bytes.Buffer
	if err := WriteBundle(&buf, src); err != nil {
		t.Fatal(err)
	}
	got, res := Import(&buf, Options{})
	if res.Fatal != nil || len(res.Errors) != 0 || res.Imported != 2 {
		t.Fatalf("re-import: %+v\n%s", res, buf.String())
	}
	want := slices.Clone(src)
	want[2].ID = IndicatorID("misp-attr-6f2b")
	want[2].Modified = want[2].ValidFrom
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if IndicatorID("misp-attr-6f2b") != got[2].ID || validID(got[2].ID, "indicator") != nil {
		t.Errorf("derived id %q is not stable or not valid", got[2].ID)
	}
}

func BenchmarkImport10k(b *testing.B) {
	doc := bundleOf(10_000)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		_, res := Import(bytes.NewReader(doc), Options{})
		if res.Imported != 10_000 {
			b.Fatal(res.Imported)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10_000, "ns/indicator")
}
