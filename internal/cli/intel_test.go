package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/indicators"
)

func TestFeedTokenCreate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KUBU_DATA": dir}
	r := run(t, env, "", "feed-token", "create", "--name", "palo-alto-hq")
	if r.code != 0 || !regexp.MustCompile(`^kubu_feed_[a-z2-7]{32}\n$`).MatchString(r.stdout) {
		t.Fatalf("feed-token create: %+v", r)
	}
	if r := run(t, env, "", "feed-token", "create"); r.code != 2 {
		t.Fatalf("without --name: %+v", r)
	}
	a, err := app.Open(context.Background(), &config.Config{DataDir: dir}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Feeds.Authenticate(context.Background(), r.stdout[:len(r.stdout)-1]); err != nil {
		t.Fatalf("the printed token does not authenticate: %v", err)
	}
}

func TestIntelImport(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KUBU_DATA": dir}
	r := run(t, env, "", "intel", "import", "../intel/stix/testdata/bundle.json")
	var res indicators.Result
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Imported == 0 || len(res.Skipped) == 0 || len(res.Errors) == 0 {
		t.Fatalf("stix: %+v", r)
	}
	r = run(t, env, "", "intel", "import", "--source", "cert-ex", "../intel/misp/testdata/feed")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Imported == 0 {
		t.Fatalf("misp feed: %+v", r)
	}
	list := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(list, []byte("# hosts\n203.0.113.66\nbad-domain.net\n"), 0o600)
	r = run(t, env, "", "intel", "import", list)
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Imported != 2 {
		t.Fatalf("freetext: %+v", r)
	}
	garbage := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(garbage, []byte("{not stix"), 0o600)
	if r := run(t, env, "", "intel", "import", garbage); r.code != 1 || r.stderr == "" {
		t.Fatalf("malformed: %+v", r)
	}
	if r := run(t, env, "", "intel", "import"); r.code != 2 {
		t.Fatalf("no file: %+v", r)
	}
	a, err := app.Open(context.Background(), &config.Config{DataDir: dir}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srcs, _ := a.Intel.Sources(context.Background(), operator)
	if len(srcs) != 3 || srcs[0].Name != "bad.txt" || srcs[1].Name != "bundle.json" || srcs[2].Name != "cert-ex" {
		t.Fatalf("sources %+v", srcs)
	}
}
