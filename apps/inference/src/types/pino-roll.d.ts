// pino-roll ships no type declarations; this covers the part the service uses.
declare module "pino-roll" {
  interface PinoRollOptions {
    file: string | (() => string);
    size?: number | string;
    frequency?: number | string;
    extension?: string;
    mkdir?: boolean;
    symlink?: boolean;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
    dateFormat?: string;
  }
  interface RollStream extends NodeJS.WritableStream {
    write(chunk: string): boolean;
    flushSync(): void;
    end(): void;
  }
  export default function pinoRoll(options: PinoRollOptions): Promise<RollStream>;
}
