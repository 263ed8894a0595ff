package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// PlaybookTask is one task of a playbook: its title and how many hours
// after the incident opens it is due (0: no due time).
type PlaybookTask struct {
	Title    string `json:"title"`
	DueHours int    `json:"due_hours"`
}

// Playbook is the list of tasks every new incident of a category starts
// with. Playbooks are data: a wog-admin edits them.
type Playbook struct {
	Category  string         `json:"category"`
	Label     string         `json:"label"`
	Tasks     []PlaybookTask `json:"tasks"`
	UpdatedBy string         `json:"updated_by,omitempty"`
	UpdatedAt *time.Time     `json:"updated_at,omitempty"`
}

// defaultPlaybooks are the playbooks kubu starts with (after NIST SP
// 800-61r3 and CISA's incident response playbooks); EnsurePlaybooks loads
// them once.
var defaultPlaybooks = map[string][]PlaybookTask{
	"malware": {{"Identify affected hosts and isolate them from the network", 2}, {"Collect a memory image and disk triage from one affected host", 8},
		{"Identify the malware family and its indicators", 24}, {"Block the indicators (hashes, domains, addresses)", 24},
		{"Re-image or clean affected hosts and restore from known-good backups", 72}, {"Reset credentials used on affected hosts", 72}},
	"phishing": {{"Collect the message with full headers", 2}, {"Find every recipient and who clicked or replied", 4},
		{"Block the sender, links and attachments", 4}, {"Reset credentials of users who entered them", 8},
		{"Purge the message from mailboxes", 8}, {"Warn staff with an example", 24}},
	"unauthorised-access": {{"Disable or lock the accounts involved", 2}, {"Review sign-in and audit logs for the accounts", 8},
		{"Find what was accessed or changed", 24}, {"Reset credentials and revoke sessions and tokens", 8}, {"Enforce multi-factor sign-in", 72}},
	"data-leak": {{"Establish what data left, how much and whose", 8}, {"Stop the leak at its source", 4},
		{"Decide on notifying the people affected and the regulator", 72}, {"Ask for removal where the data was published", 24}},
	"denial-of-service": {{"Confirm the attack and its traffic profile", 1}, {"Engage the upstream provider or scrubbing service", 2},
		{"Apply rate limits and filters", 4}, {"Watch for a cover for another attack", 24}},
	"web-defacement": {{"Take a copy of the defaced page and the server logs", 2}, {"Restore the site from a known-good copy", 4},
		{"Find and close the way in", 24}, {"Check other sites on the same platform", 48}},
	"vulnerability-exploitation": {{"Identify the vulnerability and affected versions", 4}, {"Apply the fix or a mitigation", 24},
		{"Hunt for earlier exploitation", 48}, {"Check other systems with the same software", 72}},
	"insider": {{"Involve human resources and legal counsel", 4}, {"Preserve evidence with chain of custody", 8},
		{"Restrict the person's access", 4}, {"Establish what was done", 72}},
	"other": {{"Establish scope and impact", 8}, {"Decide on containment", 24}},
}

const playbooksSeeded = "incident.playbooks.seeded"

// EnsurePlaybooks loads the default playbooks the first time kubu runs
// with incidents (a setting remembers it, so a playbook emptied on purpose
// stays empty).
func (s *Service) EnsurePlaybooks(ctx context.Context) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, '1') ON CONFLICT (key) DO NOTHING`, playbooksSeeded)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		now := s.stamp().UnixMilli()
		for _, c := range Categories {
			for i, t := range defaultPlaybooks[c.Code] {
				if _, err := tx.ExecContext(ctx, `INSERT INTO incident_playbooks (category, position, title, due_hours, updated_by, updated_at)
					VALUES ($1,$2,$3,$4,'kubu',$5) ON CONFLICT DO NOTHING`, c.Code, i, t.Title, t.DueHours, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Playbooks lists every category's playbook (anyone who may read incidents).
func (s *Service) Playbooks(ctx context.Context, a authz.Actor) ([]Playbook, error) {
	if err := authz.Check(a, authz.IncidentRead, authz.Collection()); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT p.category, p.title, p.due_hours, p.updated_by, p.updated_at, COALESCE(u.email, p.updated_by)
		FROM incident_playbooks p LEFT JOIN users u ON u.id = p.updated_by ORDER BY p.category, p.position`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	by := map[string]*Playbook{}
	for rows.Next() {
		var cat, by_, who string
		var t PlaybookTask
		var at int64
		if err := rows.Scan(&cat, &t.Title, &t.DueHours, &by_, &at, &who); err != nil {
			return nil, err
		}
		p := by[cat]
		if p == nil {
			p = &Playbook{}
			by[cat] = p
		}
		p.Tasks = append(p.Tasks, t)
		if p.UpdatedAt == nil || ms(at).After(*p.UpdatedAt) {
			tm := ms(at)
			p.UpdatedAt, p.UpdatedBy = &tm, who
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Playbook, 0, len(Categories))
	for _, c := range Categories {
		p := Playbook{Category: c.Code, Label: c.Label, Tasks: []PlaybookTask{}}
		if x := by[c.Code]; x != nil {
			p.Tasks, p.UpdatedAt, p.UpdatedBy = x.Tasks, x.UpdatedAt, x.UpdatedBy
		}
		out = append(out, p)
	}
	return out, nil
}

// SavePlaybook replaces a category's playbook (wog-admin). Incidents
// already open keep their tasks.
func (s *Service) SavePlaybook(ctx context.Context, a authz.Actor, category string, tasks []PlaybookTask) (Playbook, error) {
	if err := authz.Check(a, authz.PlaybookManage, authz.Record()); err != nil {
		return Playbook{}, err
	}
	if !slices.Contains(CategoryCodes(), category) {
		return Playbook{}, authz.ErrNotFound
	}
	var v validate.Errors
	if len(tasks) > 50 {
		v.Add("tasks", "at most 50 tasks")
	}
	for i := range tasks {
		tasks[i].Title = strings.TrimSpace(tasks[i].Title)
		v.Required(fmt.Sprintf("tasks[%d].title", i), tasks[i].Title, 300)
		if tasks[i].DueHours < 0 || tasks[i].DueHours > 24*365 {
			v.Add(fmt.Sprintf("tasks[%d].due_hours", i), "must be from 0 to 8760")
		}
	}
	if err := v.Err(); err != nil {
		return Playbook{}, err
	}
	now := s.stamp()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := playbookTasks(ctx, tx, category)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM incident_playbooks WHERE category = $1`, category); err != nil {
			return err
		}
		for i, t := range tasks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO incident_playbooks (category, position, title, due_hours, updated_by, updated_at)
				VALUES ($1,$2,$3,$4,$5,$6)`, category, i, t.Title, t.DueHours, a.UserID, now.UnixMilli()); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: PlaybookSaved, Actor: a.AuditActor(), TargetType: "playbook", TargetID: category,
			Before: map[string]any{"tasks": before}, After: map[string]any{"tasks": tasks}})
		return err
	})
	if err != nil {
		return Playbook{}, err
	}
	return Playbook{Category: category, Label: categoryLabel(category), Tasks: append([]PlaybookTask{}, tasks...), UpdatedBy: a.Email, UpdatedAt: &now}, nil
}

func playbookTasks(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, category string) ([]PlaybookTask, error) {
	rows, err := q.QueryContext(ctx, `SELECT title, due_hours FROM incident_playbooks WHERE category = $1 ORDER BY position`, category)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PlaybookTask{}
	for rows.Next() {
		var t PlaybookTask
		if err := rows.Scan(&t.Title, &t.DueHours); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// addPlaybookTasks gives a new incident its category's tasks.
func (s *Service) addPlaybookTasks(ctx context.Context, tx *sql.Tx, a authz.Actor, r *record) error {
	tasks, err := playbookTasks(ctx, tx, r.category)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		var due *time.Time
		if t.DueHours > 0 {
			d := r.createdAt.Add(time.Duration(t.DueHours) * time.Hour)
			due = &d
		}
		if _, err := s.insertTask(ctx, tx, a, r, Task{Title: t.Title, Status: TaskOpen, DueAt: due, Playbook: r.category}); err != nil {
			return err
		}
	}
	return nil
}

// Task statuses (contract §6).
const (
	TaskOpen = "open"
	TaskDone = "done"
)

// Task is one piece of work on an incident.
type Task struct {
	ID         string     `json:"id"`
	IncidentID string     `json:"incident_id"`
	Title      string     `json:"title"`
	AssigneeID string     `json:"assignee_id,omitempty"`
	Assignee   string     `json:"assignee,omitempty"` // the assignee's email
	Status     string     `json:"status"`
	DueAt      *time.Time `json:"due_at"`
	Overdue    bool       `json:"overdue"`
	Playbook   string     `json:"playbook,omitempty"` // the category whose playbook it came from
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
}

func (s *Service) insertTask(ctx context.Context, tx *sql.Tx, a authz.Actor, r *record, t Task) (Task, error) {
	now := s.stamp()
	t.ID, t.IncidentID, t.CreatedBy, t.CreatedAt, t.UpdatedAt = id.New(), r.id, a.UserID, now, now
	if t.Status == TaskDone {
		t.DoneAt = &now
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_tasks (id, incident_id, title, assignee_id, status, due_at, playbook, created_by, created_at, updated_at, done_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`, t.ID, t.IncidentID, t.Title, t.AssigneeID, t.Status, nullMillis(t.DueAt), t.Playbook,
		t.CreatedBy, now.UnixMilli(), now.UnixMilli(), nullMillis(t.DoneAt))
	if err != nil {
		return Task{}, err
	}
	text := "Task added: " + t.Title
	if t.Assignee != "" {
		text += " (assigned to " + t.Assignee + ")"
	}
	if err := s.addEntry(ctx, tx, r.id, entry{kind: KindTask, actor: a.AuditActor(), text: text}); err != nil {
		return Task{}, err
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{Code: TaskAdded, Actor: a.AuditActor(), AgencyID: r.firstAgency(), TargetType: "incident",
		TargetID: r.id, After: taskSnapshot(t)})
	return t, err
}

func taskSnapshot(t Task) map[string]any {
	return map[string]any{"task_id": t.ID, "title": t.Title, "assignee_id": t.AssigneeID, "status": t.Status, "due_at": t.DueAt}
}

// TaskInput adds or changes a task; nil fields are left as they are.
// Assignee is a user id or email ("" clears it).
type TaskInput struct {
	Title    *string    `json:"title"`
	Assignee *string    `json:"assignee"`
	Status   *string    `json:"status"`
	DueAt    *time.Time `json:"due_at"`
}

func (in TaskInput) validate(creating bool) validate.Errors {
	var v validate.Errors
	if in.Title != nil || creating {
		title := ""
		if in.Title != nil {
			title = strings.TrimSpace(*in.Title)
		}
		v.Required("title", title, 300)
	}
	if in.Status != nil {
		v.OneOf("status", *in.Status, []string{TaskOpen, TaskDone})
	}
	return v
}

// resolveAssignee finds a task assignee by id or email.
func (s *Service) resolveAssignee(ctx context.Context, q *sql.Tx, r *record, who string) (userRef, error) {
	who = strings.TrimSpace(who)
	if strings.Contains(who, "@") {
		var uid string
		err := q.QueryRowContext(ctx, `SELECT id FROM users WHERE email = $1`, strings.ToLower(who)).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			return userRef{}, validate.Errors{{Field: "assignee", Message: "no such active user"}}
		}
		if err != nil {
			return userRef{}, err
		}
		who = uid
	}
	return s.checkPerson(ctx, q, "assignee", who, r.agencyIDs())
}

// AddTask adds a task to an incident.
func (s *Service) AddTask(ctx context.Context, a authz.Actor, incidentID string, in TaskInput) (Task, error) {
	v := in.validate(true)
	var out Task
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		t := Task{Title: strings.TrimSpace(*in.Title), Status: TaskOpen}
		if in.Status != nil {
			t.Status = *in.Status
		}
		if in.DueAt != nil {
			d := in.DueAt.UTC().Truncate(time.Millisecond)
			t.DueAt = &d
		}
		if in.Assignee != nil && strings.TrimSpace(*in.Assignee) != "" {
			u, err := s.resolveAssignee(ctx, tx, r, *in.Assignee)
			if err != nil {
				return err
			}
			t.AssigneeID, t.Assignee = u.id, u.email
		}
		if out, err = s.insertTask(ctx, tx, a, r, t); err != nil {
			return err
		}
		return s.touch(ctx, tx, a, r, Updated, nil, nil)
	})
	out.Overdue = out.overdue(s.now())
	return out, err
}

func (t Task) overdue(now time.Time) bool {
	return t.Status != TaskDone && t.DueAt != nil && t.DueAt.Before(now)
}

// UpdateTask changes a task: its title, assignee, due time, done or not.
func (s *Service) UpdateTask(ctx context.Context, a authz.Actor, incidentID, taskID string, in TaskInput) (Task, error) {
	v := in.validate(false)
	if in.Title == nil && in.Assignee == nil && in.Status == nil && in.DueAt == nil {
		v.Add("status", "give a title, assignee, status or due_at")
	}
	var out Task
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID)
		if err != nil {
			return err
		}
		t, err := s.task(ctx, tx, r.id, taskID)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		before := taskSnapshot(t)
		var changes []string
		if in.Title != nil && strings.TrimSpace(*in.Title) != t.Title {
			t.Title = strings.TrimSpace(*in.Title)
			changes = append(changes, "renamed")
		}
		if in.Assignee != nil {
			if strings.TrimSpace(*in.Assignee) == "" {
				if t.AssigneeID != "" {
					t.AssigneeID, t.Assignee = "", ""
					changes = append(changes, "unassigned")
				}
			} else {
				u, err := s.resolveAssignee(ctx, tx, r, *in.Assignee)
				if err != nil {
					return err
				}
				if u.id != t.AssigneeID {
					t.AssigneeID, t.Assignee = u.id, u.email
					changes = append(changes, "assigned to "+u.email)
				}
			}
		}
		if in.DueAt != nil {
			d := in.DueAt.UTC().Truncate(time.Millisecond)
			t.DueAt = &d
			changes = append(changes, "due "+d.Format("2 Jan 2006 15:04 UTC"))
		}
		now := s.stamp()
		if in.Status != nil && *in.Status != t.Status {
			t.Status = *in.Status
			if t.Status == TaskDone {
				t.DoneAt = &now
				changes = append(changes, "done")
			} else {
				t.DoneAt = nil
				changes = append(changes, "reopened")
			}
		}
		out = t
		if len(changes) == 0 {
			return nil
		}
		t.UpdatedAt = now
		out = t
		if _, err := tx.ExecContext(ctx, `UPDATE incident_tasks SET title = $1, assignee_id = $2, status = $3, due_at = $4, done_at = $5, updated_at = $6
			WHERE id = $7`, t.Title, t.AssigneeID, t.Status, nullMillis(t.DueAt), nullMillis(t.DoneAt), now.UnixMilli(), t.ID); err != nil {
			return err
		}
		if err := s.addEntry(ctx, tx, r.id, entry{kind: KindTask, actor: a.AuditActor(), text: "Task " + strings.Join(changes, ", ") + ": " + t.Title}); err != nil {
			return err
		}
		return s.touch(ctx, tx, a, r, TaskUpdated, before, taskSnapshot(t))
	})
	out.Overdue = out.overdue(s.now())
	return out, err
}

const taskCols = `t.id, t.incident_id, t.title, t.assignee_id, COALESCE(u.email, ''), t.status, t.due_at, t.playbook, t.created_by, t.created_at, t.updated_at, t.done_at`

func scanTask(sc interface{ Scan(...any) error }) (Task, error) {
	var t Task
	var due, done sql.NullInt64
	var created, updated int64
	err := sc.Scan(&t.ID, &t.IncidentID, &t.Title, &t.AssigneeID, &t.Assignee, &t.Status, &due, &t.Playbook, &t.CreatedBy, &created, &updated, &done)
	if errors.Is(err, sql.ErrNoRows) {
		return Task{}, authz.ErrNotFound
	}
	t.DueAt, t.DoneAt, t.CreatedAt, t.UpdatedAt = msPtr(due), msPtr(done), ms(created), ms(updated)
	return t, err
}

func (s *Service) task(ctx context.Context, tx *sql.Tx, incidentID, taskID string) (Task, error) {
	return scanTask(tx.QueryRowContext(ctx, `SELECT `+taskCols+` FROM incident_tasks t LEFT JOIN users u ON u.id = t.assignee_id
		WHERE t.id = $1 AND t.incident_id = $2`, taskID, incidentID))
}

// Tasks lists an incident's tasks in the order they were added.
func (s *Service) Tasks(ctx context.Context, a authz.Actor, incidentID string) ([]Task, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return nil, err
	}
	return s.tasks(ctx, r.id)
}

func (s *Service) tasks(ctx context.Context, incidentID string) ([]Task, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+taskCols+` FROM incident_tasks t LEFT JOIN users u ON u.id = t.assignee_id
		WHERE t.incident_id = $1 ORDER BY t.id`, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Task{}
	now := s.now()
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		t.Overdue = t.overdue(now)
		out = append(out, t)
	}
	return out, rows.Err()
}
