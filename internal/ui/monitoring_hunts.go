package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

type huntListData struct {
	Page   store.Page[detect.Hunt]
	Cursor string
	Form   huntForm
	YAML   string
}

func (m *monitoring) loadHunts(r *http.Request, d *huntListData) error {
	d.Cursor = r.URL.Query().Get("cursor")
	page, err := m.Detect.ListHunts(r.Context(), web.ActorFrom(r.Context()), d.Cursor, pageSize)
	d.Page = page
	return err
}

func (m *monitoring) huntList(w http.ResponseWriter, r *http.Request) {
	d := &huntListData{Form: newHuntForm(r.URL.Query().Get("rule_id"), time.Now())}
	if err := m.loadHunts(r, d); err != nil {
		if errors.Is(err, store.ErrBadCursor) {
			redirect(w, r, "/hunts")
			return
		}
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusOK, "hunt_list.html", page{Title: "Retro-hunts", Data: d})
}

// huntCreate starts a hunt from the hunts page, or from an alert's or a
// rule's page (which send rule_id).
func (m *monitoring) huntCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	f := huntForm{RuleID: strings.TrimSpace(r.PostFormValue("rule_id")), From: r.PostFormValue("from"), To: r.PostFormValue("to"),
		TimeBasis: r.PostFormValue("time_basis")}
	yaml := r.PostFormValue("yaml")
	var probs []problem
	from, ok1 := parseLocal(f.From)
	to, ok2 := parseLocal(f.To)
	if !ok1 {
		probs = append(probs, problem{Anchor: "hunt-from", Label: "From", Message: "must be a date and time"})
	}
	if !ok2 {
		probs = append(probs, problem{Anchor: "hunt-to", Label: "To", Message: "must be a date and time"})
	}
	var h detect.Hunt
	var err error
	if len(probs) == 0 {
		h, err = m.Detect.CreateHunt(r.Context(), web.ActorFrom(r.Context()), detect.NewHunt{RuleID: f.RuleID, Rule: yaml, From: from, To: to, TimeBasis: f.TimeBasis})
		var re *detect.RuleError
		switch {
		case errors.As(err, &re):
			probs = append(probs, problem{Anchor: "hunt-yaml", Label: "Sigma rule", Message: re.Msg})
		case err != nil:
			if v, ok := validate.As(err); ok {
				for _, fe := range v {
					anchor := map[string]string{"rule_id": "hunt-rule", "from": "hunt-from", "to": "hunt-to", "time_basis": "hunt-from"}[fe.Field]
					probs = append(probs, problem{Anchor: anchor, Label: humanise(fe.Field), Message: fe.Message})
				}
			} else {
				m.fail(w, r, err)
				return
			}
		}
	}
	if len(probs) > 0 {
		d := &huntListData{Form: f, YAML: yaml}
		if err := m.loadHunts(r, d); err != nil {
			m.fail(w, r, err)
			return
		}
		m.render(w, r, http.StatusBadRequest, "hunt_list.html", page{Title: "Retro-hunts", Data: d, Problems: probs})
		return
	}
	m.flash(r, "Retro-hunt started. Its matches appear as alerts marked retro.")
	redirect(w, r, "/hunts/"+url.PathEscape(h.ID))
}

type huntDetailData struct {
	Hunt   detect.Hunt
	Alerts []detect.Alert
}

func (m *monitoring) huntDetail(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	h, err := m.Detect.HuntByID(ctx, a, r.PathValue("id"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := &huntDetailData{Hunt: h}
	if res, err := m.Detect.ListAlerts(ctx, a, detect.AlertFilter{HuntID: h.ID, Limit: 50}); err == nil {
		d.Alerts = res.Items
	}
	m.render(w, r, http.StatusOK, "hunt_detail.html", page{Title: "Retro-hunt: " + h.Title, Data: d})
}
