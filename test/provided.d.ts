declare module 'vitest' {
  export interface ProvidedContext {
    /** File holding the dumped, migrated PGlite template (pglite project). */
    pgliteTemplatePath: string;
    /** Name of the migrated template database on the server (postgres project). */
    postgresTemplate: string;
    /** Connection URL of the server's maintenance database (postgres project). */
    postgresUrl: string;
  }
}
export {};
