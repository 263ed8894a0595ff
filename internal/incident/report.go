package incident

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
)

// report is everything a post-incident report shows, as the caller may
// see it (an agency's report leaves out other agencies' records and says
// how many there were).
type report struct {
	Inc         Incident
	Timeline    []Entry
	Alerts      AlertList
	Tasks       []Task
	Observables []Observable
	Review      Review
	Attack      []string
	Chart       ClockChart
	Generated   time.Time
	For         string
	Scoped      bool // an agency's view
}

func (s *Service) report(ctx context.Context, a authz.Actor, incidentID string) (*report, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return nil, err
	}
	l := lensOf(a)
	rep := &report{Inc: r.view(l, s.now()), Generated: s.now().UTC(), For: a.Email + " (" + string(a.Role) + ")", Scoped: !l.all}
	if rep.Timeline, err = s.timeline(ctx, r.id, l); err != nil {
		return nil, err
	}
	if rep.Alerts, err = s.alerts(ctx, r, l); err != nil {
		return nil, err
	}
	if rep.Tasks, err = s.tasks(ctx, r.id); err != nil {
		return nil, err
	}
	if rep.Observables, err = s.observables(ctx, a, r.id, false); err != nil {
		return nil, err
	}
	if rep.Review, err = s.review(ctx, s.db.R(), r, l); err != nil {
		return nil, err
	}
	if rep.Attack, err = s.techniques(ctx, r.id); err != nil {
		return nil, err
	}
	rep.Chart = NewClockChart(rep.Inc.Clocks, s.now())
	return rep, nil
}

// fileName is the report's file name without extension.
func (rep *report) fileName() string { return "incident-" + rep.Inc.ID }

// ReportMarkdown writes the post-incident report as Markdown.
func (s *Service) ReportMarkdown(ctx context.Context, a authz.Actor, incidentID string) ([]byte, string, error) {
	rep, err := s.report(ctx, a, incidentID)
	if err != nil {
		return nil, "", err
	}
	return rep.markdown(), rep.fileName(), nil
}

// ReportPDF prints the post-incident report with headless Chromium.
func (s *Service) ReportPDF(ctx context.Context, a authz.Actor, incidentID string) ([]byte, string, error) {
	rep, err := s.report(ctx, a, incidentID)
	if err != nil {
		return nil, "", err
	}
	html, err := rep.html()
	if err != nil {
		return nil, "", err
	}
	pdf, err := s.pdf.PDF(ctx, html)
	return pdf, rep.fileName(), err
}

// cell makes text safe in a Markdown table cell: one line, pipes escaped.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

func when(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// HumanDuration writes seconds as "3 h 5 min", "2 d 4 h", "45 s".
func HumanDuration(secs int64) string {
	d := time.Duration(secs) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", secs)
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%d d", days)
	}
	return fmt.Sprintf("%d d %d h", days, h)
}

// ClockRow is one clock as a report or page shows it.
type ClockRow struct {
	Name      string // Acknowledge, Contain, Recover
	Target    string
	Taken     string // the time taken, or "running for …"
	ReachedAt *time.Time
	Breached  bool
	Running   bool
}

// ClockRows lists an incident's clocks for display.
func ClockRows(c ClockState, now time.Time) []ClockRow {
	elapsed := max(int64(now.Sub(c.StartedAt)/time.Second), 0)
	var out []ClockRow
	for _, k := range []struct {
		name   string
		target int64
		taken  *int64
		at     *time.Time
	}{{ClockAcknowledge, c.TargetAckS, c.TimeToAck, c.AcknowledgedAt}, {ClockContain, c.TargetContainS, c.TimeToContain, c.ContainedAt},
		{ClockRecover, c.TargetRecoverS, c.TimeToRecover, c.RecoveredAt}} {
		row := ClockRow{Name: strings.ToUpper(k.name[:1]) + k.name[1:], Target: HumanDuration(k.target), ReachedAt: k.at}
		for _, b := range c.Breached {
			if b == k.name {
				row.Breached = true
			}
		}
		if k.taken != nil {
			row.Taken = HumanDuration(*k.taken)
		} else {
			row.Running = true
			row.Taken = "running for " + HumanDuration(elapsed)
		}
		out = append(out, row)
	}
	return out
}

func (rep *report) markdown() []byte {
	var b bytes.Buffer
	in := rep.Inc
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Post-incident report: %s\n\n", strings.Join(strings.Fields(in.Title), " "))
	w("| | |\n|---|---|\n")
	w("| Incident | `%s` |\n| Severity | %s |\n| Category | %s |\n| Status | %s |\n", in.ID, in.Severity, categoryLabel(in.Category), in.Status)
	w("| Agencies | %s |\n", cell(strings.Join(in.Agencies, ", ")))
	if in.Lead != "" {
		w("| Lead | %s |\n", cell(in.Lead))
	}
	if len(in.Assignees) > 0 {
		w("| Assignees | %s |\n", cell(strings.Join(in.Assignees, ", ")))
	}
	var systems []string
	for _, sy := range in.Systems {
		systems = append(systems, sy.Name+" ("+sy.Agency+")")
	}
	if in.SystemsHidden > 0 {
		systems = append(systems, fmt.Sprintf("%d of other agencies", in.SystemsHidden))
	}
	if len(systems) > 0 {
		w("| Systems | %s |\n", cell(strings.Join(systems, ", ")))
	}
	w("| Opened | %s |\n| Clocks started | %s |\n", when(&in.CreatedAt), when(&in.Clocks.StartedAt))
	if len(rep.Attack) > 0 {
		w("| ATT&CK | %s |\n", strings.Join(rep.Attack, ", "))
	}
	w("\n")
	if strings.TrimSpace(in.Description) != "" {
		w("## Summary\n\n%s\n\n", strings.TrimSpace(in.Description))
	}
	w("## Clocks\n\n| Clock | Target | Time taken | Reached at | Breached |\n|---|---|---|---|---|\n")
	for _, c := range ClockRows(in.Clocks, rep.Generated) {
		br := "no"
		if c.Breached {
			br = "**yes**"
		}
		w("| %s | %s | %s | %s | %s |\n", c.Name, c.Target, c.Taken, when(c.ReachedAt), br)
	}
	if len(in.Clocks.Breached) > 0 {
		w("\nBreached: %s.\n", strings.Join(in.Clocks.Breached, ", "))
	}
	w("\n## Timeline\n\n| Time (UTC) | Kind | By | What |\n|---|---|---|---|\n")
	for _, e := range rep.Timeline {
		w("| %s | %s | %s | %s |\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.Kind, cell(e.Actor), cell(e.Text))
	}
	w("\n## Alerts\n\n")
	if len(rep.Alerts.Items) == 0 {
		w("None shown.")
	} else {
		w("| First seen | Rule | Level | Agency | Host | Events |\n|---|---|---|---|---|---|\n")
		for _, al := range rep.Alerts.Items {
			w("| %s | %s | %s | %s | %s | %d |\n", al.FirstSeen.UTC().Format("2006-01-02 15:04"), cell(al.RuleTitle), al.Level, al.Agency, cell(al.Host), al.EventCount)
		}
	}
	if rep.Alerts.Hidden > 0 {
		w("\n%d alert(s) of other agencies are linked and not shown.\n", rep.Alerts.Hidden)
	}
	w("\n## Observables\n\n")
	if len(rep.Observables) == 0 {
		w("None.\n")
	} else {
		w("| Type | Value | TLP |\n|---|---|---|\n")
		for _, o := range rep.Observables {
			w("| %s | `%s` | TLP:%s |\n", o.Type, strings.ReplaceAll(cell(o.Value), "`", "'"), strings.ToUpper(o.TLP))
		}
	}
	w("\n## Tasks\n\n")
	if len(rep.Tasks) == 0 {
		w("None.\n")
	} else {
		w("| Done | Task | Assignee | Due |\n|---|---|---|---|\n")
		for _, t := range rep.Tasks {
			done := "no"
			if t.Status == TaskDone {
				done = "yes"
			}
			w("| %s | %s | %s | %s |\n", done, cell(t.Title), cell(t.Assignee), when(t.DueAt))
		}
	}
	rv := rep.Review
	w("\n## Post-incident review\n\n")
	if rv.Complete {
		w("Completed %s by %s.\n\n", when(rv.CompletedAt), rv.CompletedBy)
	} else {
		w("Not completed.\n\n")
	}
	for _, sec := range []struct{ h, body string }{{"What happened", rv.WhatHappened}, {"Impact", rv.Impact}, {"Root cause", rv.RootCause},
		{"What went well", rv.WentWell}, {"What to change", rv.ToChange}} {
		body := strings.TrimSpace(sec.body)
		if body == "" {
			body = "—"
		}
		w("### %s\n\n%s\n\n", sec.h, body)
	}
	w("### Follow-up findings\n\n")
	if len(rv.FollowUps) == 0 {
		w("None.\n")
	} else {
		w("| Finding | System | Severity | Status | Due |\n|---|---|---|---|---|\n")
		for _, f := range rv.FollowUps {
			w("| %s | %s (%s) | %s | %s | %s |\n", cell(f.Title), cell(f.System), f.Agency, f.Severity, f.Status, when(f.DueAt))
		}
	}
	if rv.FollowUpsHidden > 0 {
		w("\n%d follow-up finding(s) of other agencies are not shown.\n", rv.FollowUpsHidden)
	}
	w("\n---\n\nGenerated by kubu at %s for %s.", rep.Generated.Format("2006-01-02 15:04 UTC"), rep.For)
	if rep.Scoped {
		w(" This is an agency's view: other agencies' records are left out and counted.")
	}
	w("\n")
	return b.Bytes()
}
