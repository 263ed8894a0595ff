package registry_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// BenchmarkHostsLookup: the one hostname → system lookup (VDP routing,
// alerts, scans) over 1,000 systems with three names each (one a
// wildcard), for an exact name, a name under a wildcard, and a miss.
func BenchmarkHostsLookup(b *testing.B) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			db := storetest.Open(b, engine)
			w := testkit.New(b, db)
			for i := range 1000 {
				w.System(b, "MOH", fmt.Sprint("system ", i), fmt.Sprintf("s%d.moh.gov.example", i),
					fmt.Sprintf("api.s%d.moh.gov.example", i), fmt.Sprintf("*.apps.s%d.moh.gov.example", i))
			}
			hosts := registry.NewHosts(db)
			ctx := context.Background()
			for name, host := range map[string]string{"exact": "s500.moh.gov.example", "wildcard": "a.b.apps.s500.moh.gov.example:443",
				"miss": "unknown.example.org"} {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						if _, _, err := hosts.Lookup(ctx, host); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
