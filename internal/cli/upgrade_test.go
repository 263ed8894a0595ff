package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/store"
)

// The data dir of the previous release, v0.1.0 (tag v0.1.0 = commit
// bbd6359, round 1), as its SQL dump: made by scripts/upgrade-fixture.sh
// (the v0.1.0 binary's `kubu serve --demo`, an API token, an intake token,
// a Sigma rule, three HEC events that raised an alert, and an anonymous
// VDP report), with the secret key it made and the API token it printed.
const upgradeFixture = "testdata/upgrade/v0.1.0"

// table is every row of one table, each row a column → value map.
type table struct {
	cols []string
	rows []map[string]any
}

func readTables(t *testing.T, db *sql.DB) map[string]table {
	t.Helper()
	names, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for names.Next() {
		var n string
		names.Scan(&n)
		tables = append(tables, n)
	}
	names.Close()
	out := map[string]table{}
	for _, name := range tables {
		rows, err := db.Query(`SELECT * FROM "` + name + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		tb := table{cols: cols}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := map[string]any{}
			for i, c := range cols {
				if b, ok := vals[i].([]byte); ok {
					vals[i] = string(b)
				}
				row[c] = vals[i]
			}
			tb.rows = append(tb.rows, row)
		}
		rows.Close()
		out[name] = tb
	}
	return out
}

// projection is a row's values in cols, as one comparable string.
func projection(row map[string]any, cols []string) string {
	var b strings.Builder
	for _, c := range cols {
		v, _ := json.Marshal(row[c])
		fmt.Fprintf(&b, "%s=%s;", c, v)
	}
	return b.String()
}

// TestUpgradeFromV010 opens the data dir the previous release made with
// this build: every migration since runs, `kubu audit verify` passes,
// every row of every table v0.1.0 wrote is still there with the same
// values (columns a migration moved are followed to where they went), and
// the records answer through the API with the token v0.1.0 issued.
func TestUpgradeFromV010(t *testing.T) {
	dir := t.TempDir()
	dump, err := os.ReadFile(filepath.Join(upgradeFixture, "kubu.sql"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(upgradeFixture, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "kubu.db")
	raw, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(string(dump)); err != nil {
		t.Fatalf("load the v0.1.0 dump: %v", err)
	}
	var oldVersion int64
	if err := raw.QueryRow(`SELECT MAX(version_id) FROM goose_db_version`).Scan(&oldVersion); err != nil || oldVersion != 3 {
		t.Fatalf("the v0.1.0 fixture is at schema %d (%v), want 3", oldVersion, err)
	}
	before := readTables(t, raw)
	raw.Close()

	env := map[string]string{"KUBU_DATA": dir}
	if r := run(t, env, "", "audit", "verify"); r.code != 0 || !strings.HasPrefix(r.stdout, "audit log intact: ") {
		t.Fatalf("kubu audit verify on the upgraded v0.1.0 data dir: %+v", r)
	}

	raw, err = sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var newVersion int64
	raw.QueryRow(`SELECT MAX(version_id) FROM goose_db_version`).Scan(&newVersion)
	if newVersion != store.SchemaVersion() {
		t.Fatalf("schema after opening: %d, want %d", newVersion, store.SchemaVersion())
	}
	after := readTables(t, raw)

	// Columns a migration moved or changed on purpose: 0005 moved a
	// researcher's verification time to the account (users.email_verified_at)
	// and dropped the password of registrations never verified.
	// 0009 moved systems.hostnames into the hostnames table; 0010 moved
	// alerts.level_rank to the one severity ranking (one higher).
	moved := map[string][]string{"researchers": {"verified_at", "verify_hash", "verify_expires_at"},
		"systems": {"hostnames"}}
	changed := map[string][]string{"alerts": {"level_rank"}}
	rows := 0
	for name, old := range before {
		cur, ok := after[name]
		if !ok {
			t.Errorf("table %s of v0.1.0 is gone", name)
			continue
		}
		var common []string
		for _, c := range old.cols {
			if slices.Contains(cur.cols, c) {
				common = append(common, c)
			} else if !slices.Contains(moved[name], c) {
				t.Errorf("column %s.%s of v0.1.0 is gone and not accounted for", name, c)
			}
		}
		if name == "users" {
			common = slices.DeleteFunc(common, func(c string) bool { return c == "password_hash" })
		}
		common = slices.DeleteFunc(common, func(c string) bool { return slices.Contains(changed[name], c) })
		have := map[string]int{}
		for _, r := range cur.rows {
			have[projection(r, common)]++
		}
		for _, r := range old.rows {
			p := projection(r, common)
			if have[p] == 0 {
				t.Errorf("%s: the v0.1.0 row %s is missing or changed after the upgrade", name, p)
				continue
			}
			have[p]--
			rows++
		}
	}
	// Followed moves: each researcher's verification time is now the
	// account's; a verified account keeps its password, an unverified
	// registration has none (and is pending).
	users := map[string]map[string]any{}
	for _, u := range after["users"].rows {
		users[u["id"].(string)] = u
	}
	oldUsers := map[string]map[string]any{}
	for _, u := range before["users"].rows {
		oldUsers[u["id"].(string)] = u
	}
	researchers := map[string]bool{}
	for _, r := range before["researchers"].rows {
		uid := r["user_id"].(string)
		researchers[uid] = true
		u := users[uid]
		if fmt.Sprint(u["email_verified_at"]) != fmt.Sprint(r["verified_at"]) {
			t.Errorf("researcher %s: email_verified_at %v, want the v0.1.0 verified_at %v", uid, u["email_verified_at"], r["verified_at"])
		}
		wantHash := oldUsers[uid]["password_hash"]
		if r["verified_at"] == nil {
			wantHash = ""
		}
		if u["password_hash"] != wantHash {
			t.Errorf("researcher %s: password hash changed by the upgrade", uid)
		}
	}
	// Every hostname a system listed is now a record owned by that system
	// (or, when several listed it, noted as a conflict), in the same order.
	owner := map[string]string{}
	for _, h := range after["hostnames"].rows {
		owner[h["name"].(string)] = h["system_id"].(string)
	}
	conflicts := map[string]bool{}
	for _, c := range after["hostname_conflicts"].rows {
		conflicts[c["name"].(string)+"\x00"+c["system_id"].(string)] = true
	}
	hostnames := 0
	for _, s := range before["systems"].rows {
		var names []string
		if err := json.Unmarshal([]byte(fmt.Sprint(s["hostnames"])), &names); err != nil {
			t.Fatalf("system %v: hostnames %v: %v", s["id"], s["hostnames"], err)
		}
		for _, n := range names {
			n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
			hostnames++
			if owner[n] != s["id"] && !conflicts[n+"\x00"+s["id"].(string)] {
				t.Errorf("hostname %s of system %v: owned by %q after the upgrade and not noted as a conflict", n, s["id"], owner[n])
			}
		}
	}
	if hostnames == 0 {
		t.Error("the v0.1.0 fixture lists no hostnames: the 0009 move is not exercised")
	}
	// Each alert's level_rank is one higher (severity ranking 1 … 5), and
	// its system is unset (v0.1.0 had none).
	oldRank := map[string]int64{}
	for _, a := range before["alerts"].rows {
		oldRank[a["id"].(string)] = a["level_rank"].(int64)
	}
	for _, a := range after["alerts"].rows {
		if r, ok := oldRank[a["id"].(string)]; ok && a["level_rank"].(int64) != r+1 {
			t.Errorf("alert %s: level_rank %v after the upgrade, want %d", a["id"], a["level_rank"], r+1)
		}
	}
	for id, u := range oldUsers {
		if !researchers[id] && users[id]["password_hash"] != u["password_hash"] {
			t.Errorf("user %s: password hash changed by the upgrade", id)
		}
	}
	if rows < 800 {
		t.Fatalf("compared only %d rows: the fixture is not what it should be", rows)
	}

	// The records answer through this build's API, with the token v0.1.0
	// printed.
	tok, _ := os.ReadFile(filepath.Join(upgradeFixture, "api-token"))
	cfg := &config.Config{DataDir: dir, Addr: "127.0.0.1:0"}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	count := func(path string) int {
		n, cursor := 0, ""
		for {
			req, _ := http.NewRequest("GET", srv.URL+path+"?limit=1000&cursor="+cursor, nil)
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var page struct {
				Items      []json.RawMessage `json:"items"`
				NextCursor string            `json:"next_cursor"`
			}
			err = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if resp.StatusCode != 200 || err != nil {
				t.Fatalf("GET %s with the v0.1.0 token: %d %v", path, resp.StatusCode, err)
			}
			n += len(page.Items)
			if cursor = page.NextCursor; cursor == "" {
				return n
			}
		}
	}
	for path, tbl := range map[string]string{"/api/v1/agencies": "agencies", "/api/v1/systems": "systems",
		"/api/v1/findings": "findings", "/api/v1/alerts": "alerts", "/api/v1/rules": "detect_rules", "/api/v1/users": "users"} {
		if got, want := count(path), len(before[tbl].rows); got != want {
			t.Errorf("GET %s: %d records, the v0.1.0 data dir has %d", path, got, want)
		}
	}
}
