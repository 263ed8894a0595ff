package authz

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	admin := Actor{UserID: "u0", Role: WogAdmin}
	analyst := Actor{UserID: "u1", Role: Analyst}
	aAdmin := Actor{UserID: "u2", Role: AgencyAdmin, AgencyID: "A"}
	aMember := Actor{UserID: "u3", Role: AgencyMember, AgencyID: "A"}
	researcher := Actor{UserID: "u4", Role: Researcher}
	ownA, ownB := Resource{AgencyID: "A"}, Resource{AgencyID: "B"}
	tests := []struct {
		name string
		a    Actor
		act  Action
		r    Resource
		want error
	}{
		{"anonymous is asked to sign in", Anonymous, SystemRead, ownA, ErrUnauthenticated},
		{"anyone may use public", Anonymous, Public, Resource{}, nil},
		{"wog-admin reads any system", admin, SystemRead, ownB, nil},
		{"analyst reads any finding", analyst, FindingRead, ownB, nil},
		{"analyst may not create systems but sees them", analyst, SystemCreate, ownA, ErrForbidden},
		{"member reads own agency system", aMember, SystemRead, ownA, nil},
		{"member cannot see another agency's system", aMember, SystemRead, ownB, ErrNotFound},
		{"member cannot even learn another agency's system exists by updating", aMember, SystemUpdate, ownB, ErrNotFound},
		{"member may not update own system", aMember, SystemUpdate, ownA, ErrForbidden},
		{"agency admin updates own system", aAdmin, SystemUpdate, ownA, nil},
		{"agency admin cannot touch another agency", aAdmin, SystemUpdate, ownB, ErrNotFound},
		{"agency admin approves risk in own agency", aAdmin, FindingRiskApprove, ownA, nil},
		{"member cannot approve risk", aMember, FindingRiskApprove, ownA, ErrForbidden},
		{"researcher sees no system", researcher, SystemRead, ownA, ErrNotFound},
		{"researcher sees no finding", researcher, FindingRead, ownA, ErrNotFound},
		{"agency admin reads own agency audit", aAdmin, AuditRead, ownA, nil},
		{"agency admin cannot read another's audit", aAdmin, AuditRead, ownB, ErrNotFound},
		{"member cannot read audit", aMember, AuditRead, ownA, ErrNotFound},
		{"signed-in works for anyone signed in", researcher, SignedIn, Resource{}, nil},
		{"unknown action is denied", admin, Action("nope"), Resource{}, ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.a, tt.act, tt.r); !errors.Is(got, tt.want) && !(got == nil && tt.want == nil) {
				t.Fatalf("Check(%s, %s, %+v) = %v, want %v", tt.a.Role, tt.act, tt.r, got, tt.want)
			}
		})
	}
}

func TestScopeOf(t *testing.T) {
	tests := []struct {
		a    Actor
		act  Action
		want Scope
	}{
		{Actor{UserID: "1", Role: WogAdmin}, SystemRead, Scope{All: true}},
		{Actor{UserID: "1", Role: Triager}, FindingRead, Scope{All: true}},
		{Actor{UserID: "1", Role: AgencyMember, AgencyID: "A"}, FindingRead, Scope{AgencyID: "A"}},
		{Actor{UserID: "1", Role: AgencyMember}, FindingRead, Scope{}}, // an agency role without an agency sees nothing
		{Actor{UserID: "1", Role: Researcher}, SystemRead, Scope{}},
		{Anonymous, SystemRead, Scope{}},
	}
	for _, tt := range tests {
		if got := ScopeOf(tt.a, tt.act); got != tt.want {
			t.Errorf("ScopeOf(%s/%s, %s) = %+v, want %+v", tt.a.Role, tt.a.AgencyID, tt.act, got, tt.want)
		}
		if tt.want.None() != ScopeOf(tt.a, tt.act).None() {
			t.Errorf("None mismatch")
		}
	}
	s := Scope{AgencyID: "A"}
	if !s.Admits("A", "") || s.Admits("B", "") {
		t.Fatal("agency scope admits the wrong agency")
	}
}

func TestEveryRoleIsKnown(t *testing.T) {
	for _, p := range policies {
		for _, rs := range [][]Role{p.global, p.own, p.owner} {
			for _, r := range rs {
				if !r.Valid() {
					t.Errorf("policy names unknown role %q", r)
				}
			}
		}
		if p.see != "" {
			if _, ok := policies[p.see]; !ok {
				t.Errorf("policy refers to visibility action %q with no policy", p.see)
			}
		}
	}
}
