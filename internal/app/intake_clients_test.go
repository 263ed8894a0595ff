package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// acceptedBy waits until the intake counters show want events accepted
// over protocol (the sentinel that they arrived), failing after 20 s.
func (c *crashRig) acceptedBy(t *testing.T, admin, protocol string, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	got := -1
	for time.Now().Before(deadline) {
		_, body := c.api("GET", "/api/v1/intake/stats", admin, "")
		got = 0
		for _, l := range body["by_protocol"].([]any) {
			if m := l.(map[string]any); m["protocol"] == protocol {
				got = int(m["events_accepted"].(float64))
			}
		}
		if got == want {
			return
		}
		if got > want {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %d events accepted, want %d", protocol, got, want)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get sends GET or HEAD with an Authorization header (none when empty),
// without following redirects.
func get(t *testing.T, method, url, auth string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestElasticsearchRoot is the regression test for clients that check the
// server first: GET / and HEAD / with intake credentials answer as
// Elasticsearch (they used to get a 303 to the login page), on the main
// listener and on --intake-addr; the browser keeps /.
func TestElasticsearchRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kubu binary")
	}
	t.Parallel()
	intakeAddr := freeAddr(t)
	c, _, token := newBinaryRig(t, "KUBU_INTAKE_ADDR="+intakeAddr)
	for _, base := range []string{"http://" + c.addr, "http://" + intakeAddr} {
		for _, auth := range []string{"ApiKey " + token, "Bearer " + token} {
			resp, body := get(t, "GET", base+"/", auth)
			var info struct {
				Version struct{ Number string } `json:"version"`
				Tagline string
			}
			json.Unmarshal(body, &info)
			if resp.StatusCode != 200 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" ||
				!strings.HasPrefix(info.Version.Number, "8.") || info.Tagline != "You Know, for Search" {
				t.Errorf("GET %s/ with %s: %d %v %s", base, strings.Fields(auth)[0], resp.StatusCode, resp.Header, body)
			}
		}
		resp, body := get(t, "GET", base+"/_license", "ApiKey "+token)
		var lic struct{ License struct{ Type, Status string } }
		json.Unmarshal(body, &lic)
		if resp.StatusCode != 200 || lic.License.Type != "basic" || lic.License.Status != "active" {
			t.Errorf("GET %s/_license: %d %s", base, resp.StatusCode, body)
		}
		// Index-management calls shippers make at start: found, or
		// acknowledged, and nothing changes.
		for _, m := range []struct{ method, path, want string }{
			{"HEAD", "/_index_template/filebeat-8.15.0", ""},
			{"PUT", "/_index_template/filebeat-8.15.0", `{"acknowledged":true}`},
			{"GET", "/_ilm/policy/filebeat", "{}"},
			{"PUT", "/_ilm/policy/logstash-policy", `{"acknowledged":true}`},
			{"GET", "/_xpack", `"ilm":{"available":true`},
		} {
			req, _ := http.NewRequest(m.method, base+m.path, strings.NewReader(`{"index_patterns":["x-*"]}`))
			req.Header.Set("Authorization", "ApiKey "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), m.want) || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
				t.Errorf("%s %s%s: %d %s", m.method, base, m.path, resp.StatusCode, b)
			}
		}
		resp, body = get(t, "HEAD", base+"/", "ApiKey "+token)
		if resp.StatusCode != 200 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" || len(body) != 0 {
			t.Errorf("HEAD %s/: %d %v", base, resp.StatusCode, resp.Header)
		}
		resp, body = get(t, "GET", base+"/", "ApiKey "+token+"x")
		if resp.StatusCode != 401 || !strings.Contains(string(body), "security_exception") {
			t.Errorf("GET %s/ with a wrong token: %d %s", base, resp.StatusCode, body)
		}
	}
	if resp, _ := get(t, "GET", "http://"+c.addr+"/", ""); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("browser GET / = %d %s, want the sign-in redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := get(t, "GET", "http://"+c.addr+"/_xpack", ""); resp.StatusCode == 200 {
		t.Errorf("GET /_xpack without intake credentials on the main listener: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, "GET", "http://"+intakeAddr+"/", ""); resp.StatusCode != 401 {
		t.Errorf("GET / on the intake listener without credentials = %d, want 401", resp.StatusCode)
	}
	if resp, body := get(t, "GET", "http://"+intakeAddr+"/api/v1/agencies", "Bearer "+token); resp.StatusCode != 404 {
		t.Errorf("the intake listener serves the API: %d %s", resp.StatusCode, body)
	}
}

// python3WithElasticsearch finds Debian's python3 with the elasticsearch
// module (package python3-elasticsearch).
func python3WithElasticsearch(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import elasticsearch").Run() == nil {
			return py
		}
	}
	msg := "python3 with the elasticsearch module is not installed (Debian package python3-elasticsearch)"
	if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
		t.Fatal(msg + " but KUBU_TEST_REQUIRE_SERVICES is set")
	}
	t.Skip("skipping: " + msg)
	return ""
}

// esBulkScript is a stock elasticsearch-py program: the client as its
// documentation shows it, and helpers.bulk.
const esBulkScript = `import sys
from elasticsearch import Elasticsearch, helpers
url, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
es = Elasticsearch([url], api_key=("shipper", token))
ok, errors = helpers.bulk(es, ({"_index": "app-logs", "_source": {"n": i, "message": "python bulk %d" % i}} for i in range(n)))
print(ok, len(errors))
`

// TestPythonElasticsearchBulk: Debian's python3-elasticsearch, unmodified,
// delivers N of N events with helpers.bulk to the main listener and to
// --intake-addr.
func TestPythonElasticsearchBulk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kubu binary")
	}
	t.Parallel()
	py := python3WithElasticsearch(t)
	intakeAddr := freeAddr(t)
	c, admin, token := newBinaryRig(t, "KUBU_INTAKE_ADDR="+intakeAddr)
	script := filepath.Join(t.TempDir(), "bulk.py")
	os.WriteFile(script, []byte(esBulkScript), 0o600)
	total := 0
	for _, run := range []struct {
		addr string
		n    int
	}{{c.addr, 700}, {intakeAddr, 300}} {
		out, err := exec.Command(py, script, "http://"+run.addr, token, fmt.Sprint(run.n)).CombinedOutput()
		if err != nil {
			t.Fatalf("elasticsearch-py helpers.bulk to %s: %v\n%s", run.addr, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != fmt.Sprintf("%d 0", run.n) {
			t.Fatalf("helpers.bulk reported %q, want %d indexed and 0 errors", got, run.n)
		}
		total += run.n
	}
	c.acceptedBy(t, admin, "bulk", total)
}

// TestOTelGoLogExporter: the OpenTelemetry Go log SDK with its OTLP/HTTP
// exporter delivers N of N log records.
func TestOTelGoLogExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kubu binary")
	}
	t.Parallel()
	c, admin, token := newBinaryRig(t)
	ctx := context.Background()
	exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpoint(c.addr), otlploghttp.WithInsecure(),
		otlploghttp.WithHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
	logger := lp.Logger("kubu-test")
	const n = 1000
	for i := range n {
		var r otellog.Record
		r.SetTimestamp(time.Now())
		r.SetSeverity(otellog.SeverityInfo)
		r.SetBody(attribute.StringValue(fmt.Sprintf("otel record %d", i)))
		r.AddAttributes(attribute.Int("n", i))
		logger.Emit(ctx, r)
	}
	if err := lp.Shutdown(ctx); err != nil { // flushes every batch
		t.Fatal(err)
	}
	c.acceptedBy(t, admin, "otlp", n)
}
