// The URL from before teams were in the address: redirects into the last chosen team.
export { LegacyTeamRedirect as default } from "~/components/legacy-team-redirect";
