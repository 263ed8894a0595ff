package app_test

import "github.com/kubu-gov/kubu/internal/registry"

func registryAgency(code string) registry.NewAgency {
	names := map[string]string{"MOH": "Ministry of Health", "MOE": "Ministry of Education"}
	return registry.NewAgency{Code: code, Name: names[code]}
}
