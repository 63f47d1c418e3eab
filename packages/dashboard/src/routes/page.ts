/** The page (the Vite build, with long-lived caching for its hashed assets) and a JSON 404 for unknown API paths. */
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export const pageRoutes: FastifyPluginAsync<{ distDir: string }> = async (app, { distDir }) => {
  app.all('/api/*', { schema: { querystring: { type: 'object' } } }, async (request, reply) =>
    reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no API route ${request.method} ${request.url.split('?')[0]}` }),
  );

  await app.register(fastifyStatic, {
    root: distDir,
    prefix: '/',
    index: ['index.html'],
    dotfiles: 'deny',
    setHeaders: (reply, path) => {
      // Hashed assets never change; the page itself is always revalidated.
      reply.header('cache-control', path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
};
