import * as path from 'node:path';
import { Router } from 'express';
import { requireRole, userOf } from '../auth/requireRole';
import { sendAttachment } from '../http/fileDownload';
import { multipartUpload, paramsField, requiredFileField } from '../http/multipartUpload';
import { queryEnum, queryString, requiredQuery } from '../http/query';
import { FINAL_TAG } from '../../core/datastore';
import type { ServerContext } from '../serverContext';

/** Datastore listing, image upload/download and label upload/download (spec rows 6-10). */
export function datastoreRoutes(ctx: ServerContext): Router {
  const router = Router();
  const datastore = ctx.app.datastore;
  const upload = multipartUpload(ctx.uploads);

  router.get('/datastore/', requireRole(ctx.auth, 'user'), async (req, res) => {
    const output = queryEnum(req, 'output', ['stats', 'all', 'train'] as const, 'stats');
    if (output === 'all') res.json(await datastore.dump());
    else if (output === 'train') res.json(await datastore.trainingPairs());
    else res.json(await datastore.stats());
  });

  const putImage = [
    requireRole(ctx.auth, 'annotator'),
    upload,
    async (req: import('express').Request, res: import('express').Response) => {
      const id = queryString(req, 'image') || undefined;
      const file = requiredFileField(req, 'file');
      const info = { ...paramsField(req), user: userOf(req).username };
      res.json({ image: await datastore.addImage(id, file, info) });
    },
  ];
  // `PUT /datastore/` is the deprecated alias Slicer still uses.
  router.put('/datastore/', ...putImage);
  router.put('/datastore/image', ...putImage);

  router.get('/datastore/image', requireRole(ctx.auth, 'user'), async (req, res) => {
    const id = requiredQuery(req, 'image');
    const file = await datastore.imagePath(id);
    await sendAttachment(res, file, path.basename(file));
  });

  router.put('/datastore/label', requireRole(ctx.auth, 'annotator'), upload, async (req, res) => {
    const id = requiredQuery(req, 'image');
    const tag = queryString(req, 'tag') || FINAL_TAG;
    const file = requiredFileField(req, 'label');
    const label = await datastore.saveLabel(id, tag, file, paramsField(req));
    res.json({ image: id, label });
  });

  router.get('/datastore/label', requireRole(ctx.auth, 'user'), async (req, res) => {
    const id = requiredQuery(req, 'label');
    const tag = queryString(req, 'tag') || FINAL_TAG;
    const file = await datastore.labelPath(id, tag);
    await sendAttachment(res, file, path.basename(file));
  });

  return router;
}
