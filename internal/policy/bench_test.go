package policy_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// BenchmarkControlSummary counts the controls of 1,000 systems (IM8 Level
// 1 and 2 plans, with every automatic source answering) in one call, as
// posture asks for an agency's systems.
func BenchmarkControlSummary(b *testing.B) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			db := storetest.Open(b, engine)
			e := newEnv(b, db)
			e.loadIM8(b)
			ctx := context.Background()
			var ids []string
			for i := range 1000 {
				name, crit := fmt.Sprintf("System %04d", i), []string{"medium", "high"}[i%2]
				s, err := e.w.Registry.CreateSystem(ctx, testkit.Root, registry.SystemInput{Agency: "MOH", Name: &name, Criticality: &crit})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, s.ID)
			}
			b.ResetTimer()
			for b.Loop() {
				sum, err := e.svc.ControlSummary(ctx, ids)
				if err != nil || len(sum) != len(ids) {
					b.Fatalf("%d systems, %v", len(sum), err)
				}
			}
		})
	}
}
