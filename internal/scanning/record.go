package scanning

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scan"
)

// errSkip means the name left the scan's system before its result could be
// recorded: the result is dropped.
var errSkip = errors.New("scanning: the name is no longer a target of the system")

// record stores one name's result in one transaction: the result with the
// changes since the name's previous result, the findings it opens, reopens
// and closes, the target's risk and next due time, and the audit entry.
// Only the node holding the scan's lease records, once per name.
func (s *Service) record(ctx context.Context, j job, sys registry.System, r *scan.Result) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var holder, status string
		err := tx.QueryRowContext(ctx, `SELECT lease_owner, status FROM scans WHERE id=$1`+s.db.Dialect.ForUpdate, j.ID).Scan(&holder, &status)
		if err != nil {
			return err
		}
		if holder != s.o.NodeID || status != "running" {
			return errLost
		}
		var targetSystem string
		err = tx.QueryRowContext(ctx, `SELECT system_id FROM scan_targets WHERE hostname=$1`+s.db.Dialect.ForUpdate, r.Name).Scan(&targetSystem)
		if errors.Is(err, sql.ErrNoRows) || err == nil && targetSystem != j.SystemID {
			return errSkip
		}
		if err != nil {
			return err
		}
		var prev *scan.Result
		var prevRaw string
		err = tx.QueryRowContext(ctx, `SELECT result FROM scan_results WHERE system_id=$1 AND hostname=$2
			ORDER BY scanned_at DESC, id DESC LIMIT 1`, j.SystemID, r.Name).Scan(&prevRaw)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			prev = new(scan.Result)
			if err := json.Unmarshal([]byte(prevRaw), prev); err != nil {
				return fmt.Errorf("previous result of %s: %w", r.Name, err)
			}
		}
		changes := Diff(prev, r)
		rec, err := s.reconcile(ctx, tx, sys, j.ID, r)
		if err != nil {
			return err
		}
		g := Summarise(r)
		cj, _ := json.Marshal(changes)
		im8, _ := json.Marshal(g.IM8)
		resultID := id.New()
		_, err = tx.ExecContext(ctx, `INSERT INTO scan_results (id, scan_id, system_id, agency_id, hostname, scanned_at, bod_web, bod_mail,
			internetnl_web, internetnl_mail, observatory_score, observatory_grade, ssllabs, im8, failed_checks, worst, errors, changes, result)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`,
			resultID, j.ID, j.SystemID, sys.AgencyID, r.Name, r.ScannedAt.UnixMilli(), g.BODWeb, g.BODMail, g.InternetNLWeb, g.InternetNLMail,
			g.ObservatoryScore, g.ObservatoryGrade, g.SSLLabs, string(im8), len(r.Findings), worstOf(r), len(r.Errors), string(cj), string(raw))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE scan_targets SET last_result_id=$1, last_scanned_at=$2, risk=$3, next_due_at=$4,
			queued_scan_id = CASE WHEN queued_scan_id = $5 THEN NULL ELSE queued_scan_id END WHERE hostname=$6`,
			resultID, r.ScannedAt.UnixMilli(), rec.Worst, nextDue(now, rec.Worst, r).UnixMilli(), j.ID, r.Name)
		if err != nil {
			return err
		}
		worse := 0
		for _, c := range changes {
			if c.Worse {
				worse++
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ScanResultRecorded, Actor: scanActor, AgencyID: sys.AgencyID,
			TargetType: "scan", TargetID: j.ID, After: map[string]any{"result_id": resultID, "system_id": j.SystemID,
				"hostname": r.Name, "grades": g, "failed_checks": len(r.Findings), "errors": len(r.Errors),
				"findings": rec, "changes": len(changes), "worse": worse}})
		return err
	})
}

// worstOf is the worst severity among a result's failed checks ("clean").
func worstOf(r *scan.Result) string {
	worst, rank := "clean", 0
	order := map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2}
	for _, f := range r.Findings {
		if order[f.Severity] > rank {
			worst, rank = f.Severity, order[f.Severity]
		}
	}
	return worst
}
