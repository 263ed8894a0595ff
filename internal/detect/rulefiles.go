package detect

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
)

// FileLoad reports what LoadRuleFiles did.
type FileLoad struct {
	Files   int      // rule files read
	Changed int      // rules added or updated in the database
	Failed  []string // "file: reason" for files that did not load
	Skipped []string // files whose rule id another file already has
}

// LoadRuleFiles reads the Sigma files and folders given with --rules and
// stores their rules, adding new ones enabled and updating changed ones
// (a rule's enabled state, set in the UI or API, is kept). Rules already
// stored from files but no longer present are left as they are: other
// nodes may have other files.
func (s *Service) LoadRuleFiles(ctx context.Context, paths []string) (FileLoad, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return FileLoad{}, fmt.Errorf("--rules %s: %w", p, err)
		}
	}
	var res FileLoad
	type row struct {
		r    Rule
		yaml string
		sum  string
	}
	var rows []row
	seen := map[string]string{}
	now := s.now().UTC().Truncate(time.Millisecond)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		res.Files++
		h := sha256.Sum256([]byte(filepath.Clean(f)))
		p, err := parseRule(f, data, "file-"+hex.EncodeToString(h[:8]), false)
		if err != nil {
			res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		r := Rule{Origin: "file", Path: f, Enabled: true, CreatedBy: "rules-files", CreatedAt: now, UpdatedAt: now}
		p.summary(&r)
		if other, dup := seen[r.ID]; dup {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: rule id %s is also in %s", f, r.ID, other))
			continue
		}
		seen[r.ID] = f
		rows = append(rows, row{r, string(data), p.sum})
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO detect_rules (id, title, level, kind, tags, rule_ids, yaml, origin, path, sha256, enabled, created_by, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
			ON CONFLICT (id) DO UPDATE SET title=excluded.title, level=excluded.level, kind=excluded.kind, tags=excluded.tags,
				rule_ids=excluded.rule_ids, yaml=excluded.yaml, path=excluded.path, sha256=excluded.sha256, updated_at=excluded.updated_at
			WHERE detect_rules.sha256 <> excluded.sha256`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, x := range rows {
			tags, _ := json.Marshal(x.r.Tags)
			ids, _ := json.Marshal(x.r.RuleIDs)
			out, err := stmt.ExecContext(ctx, x.r.ID, x.r.Title, x.r.Level, x.r.Kind, string(tags), string(ids), x.yaml, x.r.Origin, x.r.Path,
				x.sum, 1, x.r.CreatedBy, now.UnixMilli(), now.UnixMilli())
			if err != nil {
				return fmt.Errorf("store rule %s (%s): %w", x.r.ID, x.r.Path, err)
			}
			if n, _ := out.RowsAffected(); n > 0 {
				res.Changed++
			}
		}
		if res.Changed == 0 {
			return nil
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: RulesLoaded, Actor: audit.System, TargetType: "rule", TargetID: "files",
			After: map[string]any{"files": res.Files, "changed": res.Changed, "failed": len(res.Failed)}})
		return err
	})
	if err != nil {
		return res, err
	}
	if res.Changed > 0 {
		s.poke()
	}
	return res, nil
}
