// The audit page (pages/audit.html).
import { $ } from './lib/dom.js';
import { applyTo, langSwitch, t } from './lib/i18n.js';

applyTo();
document.title = t('audit.title');
langSwitch($('#lang'));
