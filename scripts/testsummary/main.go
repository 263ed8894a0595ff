// Command testsummary runs `go test -json` with the given arguments, shows
// what plain `go test` would (each package's result, the output of failed
// tests), and ends with a summary of the skipped tests and why, so skips
// are never hidden. It exits with go test's status. `make test` uses it:
//
//	go run ./scripts/testsummary -race -count=1 ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	cmd := exec.Command("go", append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	skips := summarise(out, os.Stdout)
	err = cmd.Wait()
	printSkips(os.Stdout, skips)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
}

// skip is one skipped test and the reason it gave.
type skip struct{ test, reason string }

// summarise copies the interesting part of the JSON stream r to w as text
// and returns the skipped tests.
func summarise(r io.Reader, w io.Writer) []skip {
	var skips []skip
	buf := map[string][]string{} // package + test → its output so far
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			fmt.Fprintln(w, sc.Text()) // not JSON (e.g. a build error): show it
			continue
		}
		key := ev.Package + " " + ev.Test
		switch {
		case ev.Action == "build-output":
			fmt.Fprint(w, ev.Output)
		case ev.Action == "output" && ev.Test == "":
			if s := ev.Output; !strings.HasPrefix(s, "=== ") && strings.TrimSpace(s) != "PASS" {
				fmt.Fprint(w, s)
			}
		case ev.Action == "output":
			buf[key] = append(buf[key], ev.Output)
		case ev.Action == "fail" && ev.Test != "":
			fmt.Fprint(w, strings.Join(buf[key], ""))
			delete(buf, key)
		case ev.Action == "skip" && ev.Test != "":
			skips = append(skips, skip{test: ev.Package + "." + ev.Test, reason: reasonOf(buf[key])})
			delete(buf, key)
		case ev.Action == "pass" && ev.Test != "":
			delete(buf, key)
		}
	}
	return skips
}

// reasonOf picks the skip message out of a skipped test's output.
func reasonOf(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		if i := strings.Index(t, ".go:"); i > 0 { // drop "file_test.go:12: "
			if j := strings.Index(t[i+4:], ": "); j >= 0 {
				t = t[i+4+j+2:]
			}
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, " ")
}

// printSkips writes one line counting the skips, then one line per reason
// with the tests that gave it.
func printSkips(w io.Writer, skips []skip) {
	if len(skips) == 0 {
		fmt.Fprintln(w, "skipped: none")
		return
	}
	by := map[string][]string{}
	for _, s := range skips {
		by[s.reason] = append(by[s.reason], s.test)
	}
	reasons := make([]string, 0, len(by))
	for r := range by {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		return len(by[reasons[i]]) > len(by[reasons[j]]) || (len(by[reasons[i]]) == len(by[reasons[j]]) && reasons[i] < reasons[j])
	})
	plural := "s"
	if len(reasons) == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "skipped: %d tests for %d reason%s (set KUBU_TEST_REQUIRE_SERVICES=1 to fail instead):\n", len(skips), len(reasons), plural)
	for _, r := range reasons {
		tests := by[r]
		sort.Strings(tests)
		names := strings.Join(tests, ", ")
		if len(tests) > 3 {
			names = strings.Join(tests[:3], ", ") + fmt.Sprintf(" and %d more", len(tests)-3)
		}
		fmt.Fprintf(w, "  %d × %s (%s)\n", len(tests), r, names)
	}
}
