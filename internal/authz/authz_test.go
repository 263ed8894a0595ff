package authz

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
)

var (
	admin      = Actor{UserID: "u0", Role: WogAdmin}
	analyst    = Actor{UserID: "u1", Role: Analyst}
	triager    = Actor{UserID: "u5", Role: Triager}
	aAdmin     = Actor{UserID: "u2", Role: AgencyAdmin, AgencyID: "A"}
	aMember    = Actor{UserID: "u3", Role: AgencyMember, AgencyID: "A"}
	researcher = Actor{UserID: "u4", Role: Researcher}
)

func TestCheck(t *testing.T) {
	ownA, ownB := Record("A"), Record("B")
	tests := []struct {
		name string
		a    Actor
		act  Action
		r    Resource
		want error
	}{
		{"anonymous is asked to sign in", Anonymous, SystemRead, ownA, ErrUnauthenticated},
		{"anonymous is asked to sign in for the collection", Anonymous, SystemRead, Collection(), ErrUnauthenticated},
		{"anyone may use public", Anonymous, Public, Collection(), nil},
		{"wog-admin reads any system", admin, SystemRead, ownB, nil},
		{"wog-admin reads a platform record", admin, UserRead, Record(), nil},
		{"analyst reads any finding", analyst, FindingRead, ownB, nil},
		{"analyst holds no grant to create systems", analyst, SystemCreate, ownA, ErrForbidden},
		{"analyst holds no grant to create systems, on the collection too", analyst, SystemCreate, Collection(), ErrForbidden},
		{"member reads own agency system", aMember, SystemRead, ownA, nil},
		{"member lists systems", aMember, SystemRead, Collection(), nil},
		{"member cannot see another agency's system", aMember, SystemRead, ownB, ErrNotFound},
		{"member holds no grant to update systems", aMember, SystemUpdate, ownB, ErrForbidden},
		{"member holds no grant to update systems, own agency alike", aMember, SystemUpdate, ownA, ErrForbidden},
		{"agency admin updates own system", aAdmin, SystemUpdate, ownA, nil},
		{"agency admin cannot touch another agency", aAdmin, SystemUpdate, ownB, ErrNotFound},
		{"agency admin approves risk in own agency", aAdmin, FindingRiskApprove, ownA, nil},
		{"member cannot approve risk", aMember, FindingRiskApprove, ownA, ErrForbidden},
		{"researcher holds no grant on systems", researcher, SystemRead, ownA, ErrForbidden},
		{"researcher holds no grant on findings", researcher, FindingRead, Collection(), ErrForbidden},
		{"agency admin reads own agency audit", aAdmin, AuditRead, ownA, nil},
		{"agency admin cannot read another's audit", aAdmin, AuditRead, ownB, ErrNotFound},
		{"member holds no grant on audit", aMember, AuditRead, ownA, ErrForbidden},
		{"signed-in works for anyone signed in", researcher, SignedIn, Collection(), nil},
		{"unknown action is denied", admin, Action("nope"), Collection(), ErrForbidden},

		// A record with no agency never passes an agency grant (it used to
		// mean "the collection").
		{"agency admin cannot manage a central user", aAdmin, UserManage, Record(), ErrNotFound},
		{"agency admin cannot read a platform alert", aAdmin, AlertRead, Record(), ErrNotFound},
		{"empty agency ids make a platform record", aMember, AlertRead, Record(""), ErrNotFound},

		// Records of several agencies.
		{"member reads an incident listing their agency", aMember, IncidentRead, Record("B", "A"), nil},
		{"member cannot see an incident of other agencies", aMember, IncidentRead, Record("B", "C"), ErrNotFound},
		{"analyst reads any incident", analyst, IncidentRead, Record("B", "C"), nil},
		{"triager holds no grant on incidents", triager, IncidentRead, Record("A"), ErrForbidden},

		// Owned records.
		{"researcher reads own report", researcher, ReportRead, OwnedBy("u4", "A"), nil},
		{"researcher cannot see another's report", researcher, ReportRead, OwnedBy("u9", "A"), ErrNotFound},
		{"an ownerless record never passes an owner grant", researcher, ReportRead, OwnedBy("", "A"), ErrNotFound},
		{"researcher may comment on own report", researcher, ReportComment, OwnedBy("u4"), nil},
		{"researcher holds no grant to triage", researcher, ReportTriage, OwnedBy("u4"), ErrForbidden},
		{"triager reads every report", triager, ReportRead, OwnedBy("u9", "A"), nil},
		{"agency roles hold no grant on reports", aAdmin, ReportRead, OwnedBy("u9", "A"), ErrForbidden},

		// Seen but not allowed: the policy's visibility action decides 403.
		{"agency admin sees a system but may not create a finding on another's", aAdmin, FindingCreate, ownB, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.a, tt.act, tt.r); !errors.Is(got, tt.want) && !(got == nil && tt.want == nil) {
				t.Fatalf("Check(%s, %s, %s) = %v, want %v", tt.a.Role, tt.act, tt.r, got, tt.want)
			}
		})
	}
}

// TestSeenButNotAllowed covers the visibility fallback with a policy whose
// visibility action is wider than the action itself.
func TestSeenButNotAllowed(t *testing.T) {
	// An agency admin may create systems in their agency and sees the
	// agency; on another agency's record they see nothing.
	if err := Check(aAdmin, SLAManage, Record("A")); err != nil {
		t.Fatalf("own SLA: %v", err)
	}
	// Analysts see every agency but may not change an SLA policy: they
	// hold no grant, so 403 whatever the record.
	if err := Check(analyst, SLAManage, Record("A")); !errors.Is(err, ErrForbidden) {
		t.Fatalf("analyst SLA: %v", err)
	}
	// Researchers may read their own reports: commenting on another's is
	// hidden (404), triaging their own is refused (403).
	if err := Check(researcher, ReportComment, OwnedBy("u9")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("comment on another's report: %v", err)
	}
}

func TestScopeOf(t *testing.T) {
	tests := []struct {
		a    Actor
		act  Action
		want Scope
	}{
		{admin, SystemRead, Scope{All: true}},
		{triager, FindingRead, Scope{All: true}},
		{aMember, FindingRead, Scope{AgencyID: "A"}},
		{Actor{UserID: "1", Role: AgencyMember}, FindingRead, Scope{}}, // an agency role without an agency sees nothing
		{researcher, SystemRead, Scope{}},
		{researcher, ReportRead, Scope{OwnerID: "u4"}},
		{Anonymous, SystemRead, Scope{}},
		{Anonymous, Public, Scope{All: true}},
	}
	for _, tt := range tests {
		if got := ScopeOf(tt.a, tt.act); got != tt.want {
			t.Errorf("ScopeOf(%s/%s, %s) = %+v, want %+v", tt.a.Role, tt.a.AgencyID, tt.act, got, tt.want)
		}
		_, err := ScopeFor(tt.a, tt.act)
		if tt.want.None() != (err != nil) {
			t.Errorf("ScopeFor(%s, %s) error %v, but scope none=%v", tt.a.Role, tt.act, err, tt.want.None())
		}
	}
	if _, err := ScopeFor(researcher, SystemRead); !errors.Is(err, ErrForbidden) {
		t.Errorf("ScopeFor without a grant = %v, want ErrForbidden", err)
	}
	if _, err := ScopeFor(Anonymous, SystemRead); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("ScopeFor anonymous = %v, want ErrUnauthenticated", err)
	}
}

func TestScopeAdmits(t *testing.T) {
	s := Scope{AgencyID: "A"}
	if !s.Admits(Record("A")) || s.Admits(Record("B")) || s.Admits(Record()) || !s.Admits(Collection()) {
		t.Fatal("agency scope admits the wrong records")
	}
	if !s.AdmitsAny("B", "A") || s.AdmitsAny("B", "C") || s.AdmitsAny() {
		t.Fatal("AdmitsAny is wrong for an agency scope")
	}
	if !(Scope{All: true}).AdmitsAny() || (Scope{OwnerID: "u"}).AdmitsAny("A") || (Scope{}).Admits(Collection()) {
		t.Fatal("AdmitsAny or None is wrong")
	}
	o := Scope{OwnerID: "u"}
	if !o.Admits(OwnedBy("u", "A")) || o.Admits(OwnedBy("v")) || o.Admits(Record("A")) {
		t.Fatal("owner scope admits the wrong records")
	}
}

func TestScopeWhere(t *testing.T) {
	tests := []struct {
		s          Scope
		agency, ow string
		sql        string
		args       []any
	}{
		{Scope{All: true}, "s.agency_id", "", "", nil},
		{Scope{AgencyID: "A"}, "s.agency_id", "", " WHERE s.agency_id = $1", []any{"A"}},
		{Scope{OwnerID: "u"}, "r.agency_id", "r.researcher_id", " WHERE r.researcher_id = $1", []any{"u"}},
		{Scope{OwnerID: "u"}, "s.agency_id", "", " WHERE 1 = 0", nil}, // owners of records that have none
		{Scope{AgencyID: "A"}, "", "r.owner", " WHERE 1 = 0", nil},    // agency scope on records with no agency
		{Scope{}, "s.agency_id", "s.owner", " WHERE 1 = 0", nil},
	}
	for _, tt := range tests {
		var w store.Where
		tt.s.Where(&w, tt.agency, tt.ow)
		if w.SQL() != tt.sql || !slices.Equal(w.Args(), tt.args) {
			t.Errorf("%+v.Where = %q %v, want %q %v", tt.s, w.SQL(), w.Args(), tt.sql, tt.args)
		}
	}
	member := func(ph string) string { return "EXISTS (SELECT 1 FROM ia WHERE ia.agency_id = " + ph + ")" }
	var w store.Where
	w.And("x = " + w.Arg(1))
	Scope{AgencyID: "A"}.WhereAgencies(&w, member)
	if w.SQL() != " WHERE x = $1 AND EXISTS (SELECT 1 FROM ia WHERE ia.agency_id = $2)" || !slices.Equal(w.Args(), []any{1, "A"}) {
		t.Errorf("WhereAgencies = %q %v", w.SQL(), w.Args())
	}
	var all, none store.Where
	Scope{All: true}.WhereAgencies(&all, member)
	Scope{OwnerID: "u"}.WhereAgencies(&none, member)
	if all.SQL() != "" || none.SQL() != " WHERE 1 = 0" {
		t.Errorf("WhereAgencies all %q, owner %q", all.SQL(), none.SQL())
	}
}

func TestResource(t *testing.T) {
	if Record("", "A", "A").String() != "record of A" || Record().String() != "record of the platform" ||
		Collection().String() != "collection" || OwnedBy("u", "A").String() != "record of A owned by u" {
		t.Fatal("Resource.String")
	}
	var zero Resource
	if zero.IsCollection() || len(zero.Agencies()) != 0 || zero.Owner() != "" {
		t.Fatal("the zero Resource must be a platform record, not the collection")
	}
	if Check(aAdmin, AgencyRead, zero) == nil {
		t.Fatal("the zero Resource passed an agency grant")
	}
}

func TestPolicyTable(t *testing.T) {
	for act, p := range policies {
		seen := map[Role]bool{}
		for _, rs := range [][]Role{p.global, p.own, p.owner} {
			for _, r := range rs {
				if !r.Valid() {
					t.Errorf("%s names unknown role %q", act, r)
				}
				if seen[r] {
					t.Errorf("%s grants role %s twice", act, r)
				}
				seen[r] = true
			}
		}
		if p.see != "" {
			if _, ok := policies[p.see]; !ok {
				t.Errorf("%s refers to visibility action %q with no policy", act, p.see)
			}
		}
	}
	// Every Action constant declared in actions.go has a policy, and every
	// policy is for a declared constant.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "actions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[Action]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				str, _ := strconv.Unquote(lit.Value)
				declared[Action(str)] = true
			}
		}
	}
	for a := range declared {
		if _, ok := policies[a]; !ok {
			t.Errorf("action %s is declared but has no policy", a)
		}
	}
	for _, a := range Actions() {
		if !declared[a] {
			t.Errorf("policy for %s, which actions.go does not declare", a)
		}
	}
	if len(declared) < 60 {
		t.Errorf("only %d actions parsed from actions.go", len(declared))
	}
}

func TestRoleShapes(t *testing.T) {
	for _, r := range Roles() {
		if r.Staff() == (r == Researcher) {
			t.Errorf("%s: Staff() = %v", r, r.Staff())
		}
		if r.AgencyBound() != (r == AgencyAdmin || r == AgencyMember) {
			t.Errorf("%s: AgencyBound() = %v", r, r.AgencyBound())
		}
	}
	if Role("").Staff() || Role("nope").Valid() {
		t.Error("empty or unknown roles")
	}
}

func TestAuditViewOf(t *testing.T) {
	if v, err := AuditViewOf(admin); err != nil || !v.All {
		t.Fatalf("wog-admin: %+v %v", v, err)
	}
	v, err := AuditViewOf(aAdmin)
	if err != nil || v.All || v.AgencyID != "A" || v.None() {
		t.Fatalf("agency admin: %+v %v", v, err)
	}
	for _, want := range []string{"agency", "system", "finding", "user", "alert", "incident"} {
		if !slices.Contains(v.TargetTypes, want) {
			t.Errorf("agency admin may not read entries about %s", want)
		}
	}
	for _, hidden := range []string{"report", "reward", "programme", "some-new-type"} {
		if slices.Contains(v.TargetTypes, hidden) {
			t.Errorf("agency admin reads entries about %s", hidden)
		}
	}
	for _, a := range []Actor{aMember, researcher, analyst, Anonymous} {
		if _, err := AuditViewOf(a); err == nil {
			t.Errorf("%s reads the audit log", a.Role)
		}
	}
	if !(AuditView{AgencyID: "A"}).None() || (AuditView{All: true}).None() {
		t.Error("AuditView.None")
	}
	for _, typ := range AuditTargetTypes() {
		if _, ok := policies[auditTargets[typ]]; !ok {
			t.Errorf("audit target %s is read by %s, which has no policy", typ, auditTargets[typ])
		}
	}
}
