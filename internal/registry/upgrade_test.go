package registry_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestHostnamesUpgrade opens a database of the schema before the hostnames
// migration, where systems kept
// their hostnames in a JSON column and two agencies could list one name,
// with this build: every name becomes a record of one system, the system
// registered first keeps a shared name (then the smaller id), and each
// dropped claim is listed.
func TestHostnamesUpgrade(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			raw, opts := storetest.At(t, engine, storetest.VersionBefore(t, engine, "_hostnames.sql"))
			for _, q := range []string{
				`INSERT INTO agencies (id, code, name, created_at) VALUES ('a1','MOH','Health',1), ('a2','MOE','Education',1)`,
				`INSERT INTO systems (id, agency_id, name, hostnames, asset_type, criticality, data_classification, created_at, updated_at) VALUES
					('s1','a1','Portal','["portal.gov.example","*.moh.gov.example","shared.gov.example"]','web','high','official-closed',1000,1000),
					('s2','a2','Stolen','["Portal.gov.example.","sls.gov.example","shared.gov.example","sls.gov.example"]','web','low','official-closed',2000,2000),
					('s0','a2','Same time','["tie.gov.example"]','api','low','official-closed',3000,3000),
					('s9','a1','Same time','["tie.gov.example"]','web','low','official-closed',3000,3000),
					('s3','a1','Empty','[]','web','low','official-closed',4000,4000)`,
			} {
				if _, err := raw.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			raw.Close()

			db, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ring, _ := keys.New(bytes.Repeat([]byte{5}, 32))
			reg := registry.New(db, audit.New(db, ring))
			admin := authz.Actor{UserID: "u-admin", Role: authz.WogAdmin}
			want := map[string]string{
				"s1": "portal.gov.example,*.moh.gov.example,shared.gov.example",
				"s2": "sls.gov.example",
				"s0": "tie.gov.example", // same registration time: the smaller id keeps it
				"s9": "",
				"s3": "",
			}
			for id, hosts := range want {
				s, err := reg.System(ctx, admin, id)
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(s.Hostnames, ","); got != hosts {
					t.Errorf("%s hostnames after the upgrade = %q, want %q", id, got, hosts)
				}
			}
			conflicts, err := reg.HostnameConflicts(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range conflicts {
				got = append(got, c.Name+":"+c.SystemID+"→"+c.KeptByID+"/"+c.KeptByAgency)
			}
			if w := "portal.gov.example:s2→s1/MOH,shared.gov.example:s2→s1/MOH,tie.gov.example:s9→s0/MOE"; strings.Join(got, ",") != w {
				t.Fatalf("conflicts %v, want %s", got, w)
			}
			if n, err := registry.NewHosts(db).Conflicts(ctx); err != nil || n != 3 {
				t.Fatalf("Conflicts = %d, %v", n, err)
			}
			if _, err := reg.HostnameConflicts(ctx, authz.Actor{UserID: "x", Role: authz.AgencyAdmin, AgencyID: "a1"}); err == nil {
				t.Fatal("an agency admin read the upgrade's hostname decisions")
			}
			// The names are records now: the stolen one answers for MOH.
			if o, ok, err := registry.NewHosts(db).Lookup(ctx, "www.moh.gov.example"); err != nil || !ok || o.SystemID != "s1" {
				t.Fatalf("lookup after the upgrade: %+v %v %v", o, ok, err)
			}
			if o, _, _ := registry.NewHosts(db).Lookup(ctx, "portal.gov.example"); o.SystemID != "s1" {
				t.Fatalf("portal.gov.example owned by %q", o.SystemID)
			}
		})
	}
}
