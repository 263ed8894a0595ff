package policy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
	"github.com/kubu-gov/kubu/internal/validate"
)

// FuzzLoadDocument feeds anything to the two entry points that read
// strangers' OSCAL (a catalogue, a profile resolved against the stored
// IM8 catalogue): each either stores the document or answers a 400
// naming the problem, never another error and never a panic.
func FuzzLoadDocument(f *testing.F) {
	f.Add([]byte(`{"catalog":{"uuid":"6f1f6f3e-5d8a-4c9b-9e3a-1b2c3d4e5f60","metadata":{"title":"t","last-modified":"2024-01-01T00:00:00Z","version":"1","oscal-version":"1.1.2"}}}`))
	f.Add([]byte(`{"profile":{"uuid":"6f1f6f3e-5d8a-4c9b-9e3a-1b2c3d4e5f61","metadata":{"title":"p","last-modified":"2024-01-01T00:00:00Z","version":"1","oscal-version":"1.1.2"},"imports":[{"href":"im8-reform.json","include-controls":[{"with-ids":["st-1"]}]}]}}`))
	f.Add([]byte(`{"profile":{"imports":[{"href":"#x"}]}}`))
	f.Add([]byte(`[]`))
	db := storetest.Open(f, store.SQLite)
	e := newEnv(f, db)
	ctx := context.Background()
	if _, _, err := e.svc.LoadCatalog(ctx, testkit.Root, "im8-reform.json", readIM8(f, "im8-reform.json")); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, load := range []func(context.Context, []byte) error{
			func(ctx context.Context, b []byte) error {
				_, _, err := e.svc.LoadCatalog(ctx, testkit.Root, "fuzz.json", b)
				return err
			},
			func(ctx context.Context, b []byte) error {
				_, _, err := e.svc.LoadProfile(ctx, testkit.Root, "fuzz.json", b)
				return err
			},
		} {
			var ve validate.Errors
			if err := load(ctx, body); err != nil && !errors.As(err, &ve) {
				t.Fatalf("not a 400: %v", err)
			}
		}
	})
}
