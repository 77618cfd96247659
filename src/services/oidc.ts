/**
 * Single sign-on through OpenID Connect (most landlords use Microsoft Entra ID): the authorisation
 * code flow with PKCE, state and nonce. The ID token is checked in full: issuer, audience, expiry,
 * nonce and its signature against the provider's published keys (JWKS). Built on openid-client.
 */
import * as client from 'openid-client';

export interface OidcConfig {
  /** The provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant id>/v2.0 */
  issuer: string;
  clientId: string;
  /** Null for a public client (PKCE only). */
  clientSecret: string | null;
  /** This service's callback: https://<host>/sign-in/sso/callback */
  redirectUrl: string;
  /** What the sign-in button says after "Sign in with", e.g. "Microsoft". */
  label: string;
}

/** What the browser keeps (in a short-lived cookie) between leaving for the provider and coming back. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface SsoIdentity {
  subject: string;
  /** The token's email claim, lower-cased; null when the provider sent none. */
  email: string | null;
}

/** The provider could not be reached or its discovery document was unusable. */
export class OidcUnavailable extends Error {
  constructor(cause: unknown) {
    super('The single sign-on provider could not be reached.', { cause });
    this.name = 'OidcUnavailable';
  }
}

/** The provider's answer could not be accepted (an error, a bad code, a token that failed a check). */
export class OidcRefused extends Error {
  constructor(
    message: string,
    public readonly providerError: string | null = null,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'OidcRefused';
  }
}

const SCOPE = 'openid email profile';

export class OidcService {
  private configuration: Promise<client.Configuration> | null = null;

  constructor(readonly config: OidcConfig) {}

  /** Discovery happens on first use (not at start-up, so an unreachable provider never stops the service) and is then kept. */
  private discover(): Promise<client.Configuration> {
    if (!this.configuration) {
      const issuer = new URL(this.config.issuer);
      const execute: ((c: client.Configuration) => void)[] = [client.enableNonRepudiationChecks];
      // Plain http only ever for a provider on this machine (config.ts refuses anything else).
      if (issuer.protocol === 'http:') execute.push(client.allowInsecureRequests);
      const auth = this.config.clientSecret ? client.ClientSecretPost(this.config.clientSecret) : client.None();
      this.configuration = client
        .discovery(issuer, this.config.clientId, { redirect_uris: [this.config.redirectUrl], response_types: ['code'] }, auth, { execute, timeout: 15 })
        .catch((err) => {
          this.configuration = null; // try again next time
          throw new OidcUnavailable(err);
        });
    }
    return this.configuration;
  }

  /** Where to send the browser, and what to remember until it comes back. */
  async begin(): Promise<{ url: string; pending: PendingSignIn }> {
    const configuration = await this.discover();
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending: PendingSignIn = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.redirectUrl,
      scope: SCOPE,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /**
   * Finish the flow from the callback's query string: check the state, exchange the code (with the
   * PKCE verifier) and validate the ID token. Throws OidcRefused when anything does not check out.
   */
  async complete(query: string, pending: PendingSignIn): Promise<SsoIdentity> {
    const configuration = await this.discover();
    // The redirect URL as registered, whatever host or proxy the request came through.
    const current = new URL(this.config.redirectUrl);
    current.search = query;
    let claims: client.IDToken | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError) throw new OidcRefused('The identity provider did not sign you in.', err.error, err);
      throw new OidcRefused('The answer from the identity provider could not be checked.', null, err);
    }
    if (!claims) throw new OidcRefused('The identity provider sent no ID token.');
    const email = typeof claims.email === 'string' && claims.email.includes('@') ? claims.email.trim().toLowerCase() : null;
    // A provider that says the address is unverified is not trusted with it.
    if (claims.email_verified === false) return { subject: claims.sub, email: null };
    return { subject: claims.sub, email };
  }
}
