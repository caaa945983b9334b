// A real OpenID Connect identity provider (panva/oidc-provider) for the SSO browser tests.
//
// Configuration comes from the environment:
//   IDP_CLIENT_ID, IDP_CLIENT_SECRET   the one confidential client (the portal)
//   IDP_REDIRECT_URIS                  comma-separated redirect URIs of that client
//   IDP_ACCOUNTS_FILE                  JSON file {accountId: {claims...}}, re-read on every
//                                      claims lookup so a test can change claims between logins
//   IDP_PORT                           port to bind on 127.0.0.1 (0 = any free port)
//
// The built-in development interactions render the login form (any password is accepted
// for an account present in IDP_ACCOUNTS_FILE) and the consent page. Once listening, the
// script prints one line `LISTENING <issuer>` on stdout.
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
};

const accountsFile = env('IDP_ACCOUNTS_FILE');
const readAccounts = () => JSON.parse(fs.readFileSync(accountsFile, 'utf8'));

const server = http.createServer();
server.listen(Number(process.env.IDP_PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: env('IDP_CLIENT_ID'),
      client_secret: env('IDP_CLIENT_SECRET'),
      redirect_uris: env('IDP_REDIRECT_URIS').split(','),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups', 'roles'],
    },
    async findAccount(ctx, accountId) {
      if (!(accountId in readAccounts())) {
        return undefined;
      }
      return {
        accountId,
        async claims() {
          // Read at claim time, not login time: the test rewrites the file between logins.
          return { ...readAccounts()[accountId], sub: accountId };
        },
      };
    },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['coderportal-test-idp-cookie-key'] },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 120,
           IdToken: 600 },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`LISTENING ${issuer}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
