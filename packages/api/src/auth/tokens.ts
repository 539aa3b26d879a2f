/**
 * Session tokens: HS256 JWTs carrying the user id and the user's tokenVersion at sign-in.
 * A token is dead once it expires or the user's tokenVersion moves on (logout).
 */
import { errors, jwtVerify, SignJWT } from 'jose';

export interface TokenConfig {
  secret: Uint8Array;
  /** Lifetime of a token in seconds. */
  ttlSeconds: number;
}

export interface TokenClaims {
  userId: number;
  tokenVersion: number;
}

export interface VerifiedClaims extends TokenClaims {
  /** When the token expires (epoch ms). */
  expiresAt: number;
}

const ISSUER = 'parley';

export async function signToken(config: TokenConfig, claims: TokenClaims): Promise<string> {
  return new SignJWT({ ver: claims.tokenVersion })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(claims.userId))
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${config.ttlSeconds}s`)
    .sign(config.secret);
}

/** The claims of a valid token, or null for anything else: forged, expired, malformed. */
export async function verifyToken(config: TokenConfig, token: string): Promise<VerifiedClaims | null> {
  try {
    const { payload } = await jwtVerify(token, config.secret, { algorithms: ['HS256'], issuer: ISSUER });
    const userId = Number(payload.sub);
    const tokenVersion = payload.ver;
    if (!Number.isSafeInteger(userId) || userId <= 0 || typeof tokenVersion !== 'number' || payload.exp === undefined) return null;
    return { userId, tokenVersion, expiresAt: payload.exp * 1000 };
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
    throw error;
  }
}
