package testkit_test

import (
	"context"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

func TestWorld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := testkit.New(t, db)
		if w.MOH.Code != "MOH" || w.MOE.Code != "MOE" || w.Agencies()["MOE"] != w.MOE.ID {
			t.Fatalf("agencies %+v %+v", w.MOH, w.MOE)
		}
		s := w.System(t, "MOH", "Portal", "portal.moh.example")
		a := w.Actor(authz.AgencyMember, "MOH")
		got, err := w.Registry.System(context.Background(), a, s.ID)
		if err != nil || got.Hostnames[0] != "portal.moh.example" {
			t.Fatalf("a MOH member reads %+v, %v", got, err)
		}
		if _, err := w.Registry.System(context.Background(), w.Actor(authz.AgencyMember, "MOE"), s.ID); err == nil {
			t.Fatal("a MOE member read MOH's system")
		}
		if sum, err := w.Audit.Verify(context.Background()); err != nil || sum.Entries < 3 {
			t.Fatalf("audit log after setup: %+v, %v", sum, err)
		}
	})
}
