package main

import (
	"strings"
	"testing"
)

// TestSummarise: failed tests' output and package results are shown, passed
// tests' chatter is not, and each skip is kept with its reason.
func TestSummarise(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:9: no Chromium found: install it\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"--- SKIP: TestA (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:3: chatter of a passing test\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestB"}`,
		`{"Action":"output","Package":"p","Test":"TestC","Output":"    c_test.go:4: want 1, got 2\n"}`,
		`{"Action":"output","Package":"p","Test":"TestC","Output":"--- FAIL: TestC (0.01s)\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestC"}`,
		`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.02s\n"}`,
		`{"Action":"output","Package":"q","Test":"TestD/postgres","Output":"    d_test.go:1: no Chromium found: install it\n"}`,
		`{"Action":"skip","Package":"q","Test":"TestD/postgres"}`,
		`# build output that is not JSON`,
	}, "\n")
	var out strings.Builder
	skips := summarise(strings.NewReader(in), &out)
	got := out.String()
	for _, want := range []string{"want 1, got 2", "--- FAIL: TestC", "FAIL\tp\t0.02s", "# build output that is not JSON"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "chatter") || strings.Contains(got, "no Chromium") {
		t.Errorf("output shows passed or skipped tests' lines:\n%s", got)
	}
	if len(skips) != 2 || skips[0].reason != "no Chromium found: install it" || skips[1].test != "q.TestD/postgres" {
		t.Fatalf("skips: %+v", skips)
	}
	var sum strings.Builder
	printSkips(&sum, skips)
	if want := "skipped: 2 tests for 1 reason ("; !strings.HasPrefix(sum.String(), want) || !strings.Contains(sum.String(), "2 × no Chromium found: install it (p.TestA, q.TestD/postgres)") {
		t.Errorf("summary:\n%s", sum.String())
	}
}
