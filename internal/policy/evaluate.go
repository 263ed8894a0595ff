package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/oscal"
	"github.com/kubu-gov/kubu/internal/store"
)

// ControlCounts are a system's controls by result (for posture): met is
// implemented, not-applicable, or a deviation with a valid approval;
// not met is partial, planned, an expired deviation or failing automatic
// evidence; not assessed is the rest.
type ControlCounts struct {
	Met         int `json:"met"`
	NotMet      int `json:"not_met"`
	NotAssessed int `json:"not_assessed"`
}

func (c *ControlCounts) add(result string) {
	switch result {
	case Met:
		c.Met++
	case NotMet:
		c.NotMet++
	default:
		c.NotAssessed++
	}
}

// sysInfo is what evaluation needs of a system.
type sysInfo struct {
	ID, AgencyID, Criticality, Classification string
	Hostnames                                 int
}

// planRow is a system's stored plan header.
type planRow struct {
	uuid, profileID string
	updatedAt       int64
}

// manualRow is a control's stored manual status.
type manualRow struct {
	Status, Description string
	Evidence            []string
	UpdatedAt           time.Time
}

// evaluated is a system's plan, evaluated.
type evaluated struct {
	sys           sysInfo
	plan          *planRow
	profileID     string
	profileChosen string // override | default | none
	profileReason string
	catalog       *oscal.Catalog
	controls      []PlanControl
	counts        ControlCounts
}

// systemsInfo reads the systems (those that exist) in chunks.
func (s *Service) systemsInfo(ctx context.Context, ids []string) ([]sysInfo, error) {
	var out []sysInfo
	for start := 0; start < len(ids); start += 500 {
		var w store.Where
		w.In("s.id", ids[start:min(start+500, len(ids))])
		rows, err := s.db.R().QueryContext(ctx, `SELECT s.id, s.agency_id, s.criticality, s.data_classification,
			(SELECT COUNT(*) FROM hostnames h WHERE h.system_id = s.id) FROM systems s`+w.SQL(), w.Args()...)
		if err != nil {
			return nil, err
		}
		got, err := store.Collect(rows, func(sc store.Scanner) (sysInfo, error) {
			var x sysInfo
			return x, sc.Scan(&x.ID, &x.AgencyID, &x.Criticality, &x.Classification, &x.Hostnames)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// evaluate evaluates the plans of the systems at once: their profiles,
// manual statuses, deviations and automatic evidence.
func (s *Service) evaluate(ctx context.Context, systems []sysInfo, countOnly bool) ([]evaluated, error) {
	now := s.now()
	ids := make([]string, len(systems))
	for i, x := range systems {
		ids[i] = x.ID
	}
	defaults, err := s.defaultProfileIDs(ctx)
	if err != nil {
		return nil, err
	}
	plans, manual, devs, err := s.planRows(ctx, ids)
	if err != nil {
		return nil, err
	}
	fs, err := s.gather(ctx, systems, now)
	if err != nil {
		return nil, err
	}
	lists := map[string][]Control{} // each profile's controls, rendered once
	out := make([]evaluated, len(systems))
	for i, sys := range systems {
		e := evaluated{sys: sys, plan: plans[sys.ID], profileChosen: "none"}
		level, why := Level(sys.Criticality, sys.Classification)
		switch {
		case e.plan != nil && e.plan.profileID != "":
			e.profileID, e.profileChosen, e.profileReason = e.plan.profileID, "override", "chosen by a wog-admin"
		case defaults[level] != "":
			e.profileID, e.profileChosen = defaults[level], "default"
			e.profileReason = fmt.Sprintf("%s → Level %d (%s)", why, level, DefaultProfiles[level])
		default:
			e.profileReason = fmt.Sprintf("%s → Level %d, but no profile named %s is loaded", why, level, DefaultProfiles[level])
		}
		if e.profileID != "" {
			if e.catalog, err = s.controlsOf(ctx, e.profileID); err != nil {
				return nil, err
			}
		}
		f := fs[sys.ID]
		if e.catalog != nil {
			cs, ok := lists[e.profileID]
			if !ok {
				cs = controlList(e.catalog)
				lists[e.profileID] = cs
			}
			for _, c := range cs {
				pc := evalControl(c, f, e.catalog, manual[sys.ID][c.ID], devs[sys.ID][c.ID], now)
				e.counts.add(pc.Result)
				if !countOnly {
					e.controls = append(e.controls, pc)
				}
			}
		}
		out[i] = e
	}
	return out, nil
}

var noEvidence = []string{}

// evalControl decides one control: a valid approved deviation, else the
// automatic evidence or the manual status; an expired deviation is not met
// unless the control is met again by other means.
func evalControl(c Control, f facts, cat *oscal.Catalog, m *manualRow, ds []Deviation, now time.Time) PlanControl {
	pc := PlanControl{ControlID: c.ID, Title: c.Title, Family: c.Family, Status: "not-assessed", Source: "manual",
		Evidence: noEvidence, Result: NotAssessed}
	if ev, ok := evaluators[c.ID]; ok {
		v := ev.eval(f, cat)
		pc.Source, pc.Explanation, pc.Result, pc.Reason = "automatic", ev.explain, v.result, v.reason
		if v.evidence != nil {
			pc.Evidence = v.evidence
		}
		pc.Status = map[string]string{Met: "implemented", NotMet: "partial", NotAssessed: "not-assessed"}[v.result]
	} else if m != nil {
		pc.Status, pc.Description, pc.Evidence = m.Status, m.Description, m.Evidence
		pc.Result = manualResult(m.Status)
		pc.Reason = "recorded by the agency"
		if m.Description != "" {
			pc.Reason = m.Description
		}
	}
	valid, expired, pending := pickDeviations(ds, now)
	switch {
	case valid != nil:
		pc.Status, pc.Result, pc.Deviation = "deviation", Met, valid
		pc.Reason = fmt.Sprintf("deviation approved by %s until %s: %s", valid.ApprovedBy, ts(valid.ExpiresAt), valid.Reason)
	case expired != nil && pc.Result != Met:
		pc.Status, pc.Result, pc.Deviation = "deviation", NotMet, expired
		pc.Reason = fmt.Sprintf("the deviation approved by %s expired on %s; renew it or meet the control", expired.ApprovedBy, ts(expired.ExpiresAt))
	}
	pc.Pending = pending
	return pc
}

func manualResult(status string) string {
	switch status {
	case "implemented", "not-applicable":
		return Met
	case "partial", "planned":
		return NotMet
	}
	return NotAssessed
}

// pickDeviations finds, among a control's deviations (oldest first), the
// approved one valid now with the latest expiry, else the approved one
// that expired last, and the requests waiting for a decision.
func pickDeviations(ds []Deviation, now time.Time) (valid, expired *Deviation, pending []Deviation) {
	for i := range ds {
		d := &ds[i]
		switch {
		case d.Status == "pending":
			pending = append(pending, *d)
		case d.Status == "approved" && d.ExpiresAt.After(now):
			if valid == nil || d.ExpiresAt.After(valid.ExpiresAt) {
				valid = d
			}
		case d.Status == "approved" || d.Status == "expired":
			if expired == nil || d.ExpiresAt.After(expired.ExpiresAt) {
				expired = d
			}
		}
	}
	if expired != nil {
		x := *expired
		x.Status = "expired"
		expired = &x
	}
	return valid, expired, pending
}

// planRows reads the stored plans, manual statuses and deviations.
func (s *Service) planRows(ctx context.Context, ids []string) (map[string]*planRow, map[string]map[string]*manualRow, map[string]map[string][]Deviation, error) {
	plans := map[string]*planRow{}
	manual := map[string]map[string]*manualRow{}
	devs := map[string]map[string][]Deviation{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var w store.Where
		w.In("system_id", chunk)
		err := s.query(ctx, `SELECT system_id, uuid, profile_id, updated_at FROM security_plans`+w.SQL(), w.Args(), func(sc store.Scanner) error {
			var id string
			p := &planRow{}
			if err := sc.Scan(&id, &p.uuid, &p.profileID, &p.updatedAt); err != nil {
				return err
			}
			plans[id] = p
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		err = s.query(ctx, `SELECT system_id, control_id, status, description, evidence, updated_at FROM plan_controls`+w.SQL(), w.Args(), func(sc store.Scanner) error {
			var sid, cid string
			var at int64
			m := &manualRow{}
			if err := sc.Scan(&sid, &cid, &m.Status, &m.Description, store.JSON(&m.Evidence), &at); err != nil {
				return err
			}
			if m.Evidence == nil {
				m.Evidence = []string{}
			}
			m.UpdatedAt = time.UnixMilli(at).UTC()
			if manual[sid] == nil {
				manual[sid] = map[string]*manualRow{}
			}
			manual[sid][cid] = m
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		var dw store.Where
		dw.In("d.system_id", chunk)
		err = s.query(ctx, `SELECT `+devCols+devFrom+dw.SQL()+` ORDER BY d.requested_at, d.id`, dw.Args(), func(sc store.Scanner) error {
			d, err := scanDeviation(sc)
			if err != nil {
				return err
			}
			if devs[d.SystemID] == nil {
				devs[d.SystemID] = map[string][]Deviation{}
			}
			devs[d.SystemID][d.ControlID] = append(devs[d.SystemID][d.ControlID], d)
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
	}
	return plans, manual, devs, nil
}

func (s *Service) query(ctx context.Context, q string, args []any, each func(store.Scanner) error) error {
	rows, err := s.db.R().QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// gather reads the automatic evidence of the systems from the sources.
func (s *Service) gather(ctx context.Context, systems []sysInfo, now time.Time) (map[string]facts, error) {
	ids := make([]string, len(systems))
	for i, x := range systems {
		ids[i] = x.ID
	}
	src := s.opts.Sources
	var scans map[string][]NameScan
	var vdp map[string]bool
	var logs map[string]map[string]time.Time
	var err error
	if src.Scans != nil {
		if scans, err = src.Scans(ctx, ids); err != nil {
			return nil, fmt.Errorf("scans: %w", err)
		}
	}
	if src.VDP != nil {
		if vdp, err = src.VDP(ctx, ids); err != nil {
			return nil, fmt.Errorf("vdp scope: %w", err)
		}
	}
	if src.Logs != nil {
		if logs, err = src.Logs(ctx, ids); err != nil {
			return nil, fmt.Errorf("logs: %w", err)
		}
	}
	deadlines, err := s.finds.DeadlinesOf(ctx, ids, now.Add(-s.opts.DeadlineWindow), now)
	if err != nil {
		return nil, fmt.Errorf("deadlines: %w", err)
	}
	out := make(map[string]facts, len(systems))
	for _, sys := range systems {
		f := facts{now: now, hostnames: sys.Hostnames, scanGrace: s.opts.ScanGrace, logsWithin: s.opts.LogsWithin,
			penTestDays: s.opts.PenTestDays, window: s.opts.DeadlineWindow,
			scansKnown: src.Scans != nil, scans: scans[sys.ID],
			vdpKnown: src.VDP != nil, inVDP: vdp[sys.ID],
			logsKnown: src.Logs != nil, logs: logs[sys.ID],
			deadlinesKnown: true, deadlines: deadlines[sys.ID]}
		if src.Imports != nil {
			f.importsKnown = true
			if f.imported, f.importedOK, err = src.Imports.LatestImport(ctx, sys.ID); err != nil {
				return nil, fmt.Errorf("imports: %w", err)
			}
		}
		out[sys.ID] = f
	}
	return out, nil
}

// ControlSummary counts each system's controls by result (for posture).
// Systems that do not exist are left out. It does no access check: the
// caller (posture) scopes the systems it asks about.
func (s *Service) ControlSummary(ctx context.Context, systemIDs []string) (map[string]ControlCounts, error) {
	systems, err := s.systemsInfo(ctx, systemIDs)
	if err != nil {
		return nil, err
	}
	es, err := s.evaluate(ctx, systems, true)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ControlCounts, len(es))
	for _, e := range es {
		out[e.sys.ID] = e.counts
	}
	return out, nil
}
