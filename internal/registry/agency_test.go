package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

// TestAgencyPage: codes are normalised and unique; agency roles see their
// own; pages walk every agency by code (the API's agency list).
func TestAgencyPage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newHostEnv(t, db)
		mof, err := e.reg.CreateAgency(ctx, e.admin, registry.NewAgency{Code: " mof ", Name: " Ministry of Finance "})
		if err != nil || mof.Code != "MOF" || mof.Name != "Ministry of Finance" {
			t.Fatalf("created %+v, %v", mof, err)
		}
		if _, err := e.reg.CreateAgency(ctx, e.admin, registry.NewAgency{Code: "MOF", Name: "Again"}); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("duplicate code: %v", err)
		}
		if _, err := e.reg.CreateAgency(ctx, e.admin, registry.NewAgency{Code: "1X", Name: "Bad"}); !isField(err, "code") {
			t.Fatalf("bad code: %v", err)
		}
		if _, err := e.reg.CreateAgency(ctx, e.mohAdmin, registry.NewAgency{Code: "MOX", Name: "X"}); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("agency admin creating an agency: %v", err)
		}
		if _, err := e.reg.Agency(ctx, e.mohAdmin, mof.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("MOH's admin reading MOF: %v", err)
		}
		if ags, err := e.reg.ListAgencies(ctx, e.mohAdmin); err != nil || len(ags) != 1 || ags[0].Code != "MOH" {
			t.Fatalf("MOH's admin lists %+v, %v", ags, err)
		}
		var codes []string
		for cursor := ""; ; {
			page, err := e.reg.AgencyPage(ctx, e.admin, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, ag := range page.Items {
				codes = append(codes, ag.Code)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(codes) != 3 || codes[0] != "MOE" || codes[1] != "MOF" || codes[2] != "MOH" {
			t.Fatalf("pages of agencies: %v", codes)
		}
	})
}
