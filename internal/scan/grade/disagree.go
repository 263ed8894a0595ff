package grade

import (
	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// Disagreement is one place where two standards judge a name differently.
type Disagreement struct {
	Standards [2]string `json:"standards"`
	Part      string    `json:"part"` // web, mail, tls
	Verdicts  [2]string `json:"verdicts"`
	Why       string    `json:"why"`
}

// Disagreements lists, for one graded result, where the standards disagree
// and why: each pair's verdicts and the rules behind the difference.
func Disagreements(r *facts.Result) []Disagreement {
	out := []Disagreement{}
	v := r.Verdicts
	if v == nil {
		return out
	}
	passes := map[string]map[string]*bool{} // standard → part → pass
	put := func(std, part string, p *bool) {
		if passes[std] == nil {
			passes[std] = map[string]*bool{}
		}
		passes[std][part] = p
	}
	pf := func(s *string) *bool {
		if s == nil {
			return nil
		}
		b := *s == "pass"
		return &b
	}
	if v.BOD != nil {
		put("bod-18-01", "web", pf(v.BOD.Web))
		put("bod-18-01", "mail", pf(v.BOD.Mail))
	}
	if v.InternetNL != nil {
		put("internet.nl", "web", pf(v.InternetNL.Web))
		put("internet.nl", "mail", pf(v.InternetNL.Mail))
	}
	if v.Observ != nil {
		b := v.Observ.Score >= 70 // B or better counts as a pass
		put("observatory", "web", &b)
	}
	if v.SSLLabs != nil {
		b := v.SSLLabs.Grade == "A+" || v.SSLLabs.Grade == "A"
		put("ssllabs", "web", &b)
	}
	reasons := func(std, part string) []string {
		switch std {
		case "bod-18-01":
			return v.BOD.Reasons[part]
		case "internet.nl":
			return v.InternetNL.Reasons[part]
		case "observatory":
			return v.Observ.Reasons
		case "ssllabs":
			return v.SSLLabs.Reasons
		}
		return nil
	}
	order := []string{"bod-18-01", "internet.nl", "observatory", "ssllabs"}
	for i, a := range order {
		for _, b := range order[i+1:] {
			for _, part := range []string{"web", "mail"} {
				pa, pb := passes[a][part], passes[b][part]
				if pa == nil || pb == nil || *pa == *pb {
					continue
				}
				failing, passing := a, b
				if *pa {
					failing, passing = b, a
				}
				why := failing + " fails it for: " + join(reasons(failing, part)) + "; " + passing + " does not judge these (or weighs them less)"
				out = append(out, Disagreement{Standards: [2]string{a, b}, Part: part, Verdicts: [2]string{word(*pa), word(*pb)}, Why: why})
			}
		}
	}
	return out
}

func word(p bool) string {
	if p {
		return "pass"
	}
	return "fail"
}

func join(s []string) string {
	if len(s) == 0 {
		return "(no reason recorded)"
	}
	out := s[0]
	for _, x := range s[1:] {
		out += "; " + x
	}
	return out
}
