package cli

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"testing"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/registry"
)

func TestIntakeTokenCreate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KUBU_DATA": dir}
	a, err := app.Open(context.Background(), &config.Config{DataDir: dir}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Registry.CreateAgency(context.Background(), operator, registry.NewAgency{Code: "MOH", Name: "Ministry of Health"}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	r := run(t, env, "", "intake-token", "create", "--agency", "MOH", "--name", "fw01")
	if r.code != 0 || !regexp.MustCompile(`^kubu_in_[a-z2-7]{32}\n$`).MatchString(r.stdout) {
		t.Fatalf("intake-token create: %+v", r)
	}
	if r := run(t, env, "", "intake-token", "create"); r.code != 2 {
		t.Fatalf("without --agency: %+v", r)
	}
	if r := run(t, env, "", "intake-token", "create", "--agency", "NOPE"); r.code != 1 {
		t.Fatalf("unknown agency: %+v", r)
	}
}
