import { t } from '../../locales';

/** A text of the English catalog, to compare replies with. */
export const en = (key: string, params?: Record<string, string | number>): string => t('en', key, params);
